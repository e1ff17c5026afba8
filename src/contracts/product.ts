// What a data product is: the types of a catalog entry and the helpers that declare one.

import { type Static, type TSchema } from '@sinclair/typebox';
import { ContractError, ContractErrorCodes } from './errors.ts';

export const Teams = {
  /** Control plane, runtime, catalog. */
  PLATFORM: 'platform',
  /** Exchange connectors, parsing, order books, reference data. */
  MARKET_DATA: 'market-data',
  /** Derived analytics such as candles. */
  ANALYTICS: 'analytics',
  /** Market surveillance and data-quality alerts. */
  SURVEILLANCE: 'surveillance',
  TRADING: 'trading',
} as const;
export type Team = (typeof Teams)[keyof typeof Teams];

export const ValueFormats = { JSON: 'json', BYTES: 'bytes' } as const;
export type ValueFormat = (typeof ValueFormats)[keyof typeof ValueFormats];

export type Cleanup =
  | { readonly policy: 'delete'; readonly retentionMs: number }
  | {
      readonly policy: 'compact';
      /** How long a tombstone stays readable, so a consumer that lags less than this sees deletes. */
      readonly deleteRetentionMs: number;
      /** How long a record is kept before it may be compacted away (lets slow readers see every update). */
      readonly minCompactionLagMs: number;
    };

export interface SchemaVersion<S extends TSchema = TSchema> {
  readonly version: number;
  readonly schema: S;
  /** What changed from the previous version, for people reading the history. */
  readonly change: string;
}

export interface JsonValue<T = unknown> {
  readonly format: 'json';
  /** Names the schema on the wire (header `sf-schema-id`); shared by every instance of a template. */
  readonly schemaId: string;
  /** Oldest first; `versions[i].version === i + 1`. The last one is what producers write. */
  readonly versions: readonly SchemaVersion[];
  readonly example: T;
}

export interface HeaderSpec {
  readonly name: string;
  readonly meaning: string;
  /** `int`: a non-negative decimal integer in UTF-8; `text`: any non-empty UTF-8 text. */
  readonly format: 'int' | 'text';
  readonly required: boolean;
}

export interface BytesValue {
  readonly format: 'bytes';
  readonly meaning: string;
  /** Headers every record must carry besides the standard ones (see headers.ts). */
  readonly headers: readonly HeaderSpec[];
  readonly example: {
    readonly key: string;
    readonly value: string;
    readonly headers: Record<string, string>;
  };
}

export interface KeySpec<T> {
  /** The key's shape in one token: `exchange:symbol`, `queue_id`. */
  readonly name: string;
  /** What the key is and why it is what orders and partitions the records. */
  readonly meaning: string;
  /**
   * Derives the key from a value, so a producer cannot pick a key that contradicts the value.
   * Method syntax on purpose: it keeps a JsonProduct<Trade> assignable to JsonProduct<unknown>.
   */
  of?(value: T): string;
}

interface ProductBase {
  /** The topic name. */
  readonly topic: string;
  /** The declaration it comes from: the topic itself, or a template such as `md.candles.<interval>`. */
  readonly declaration: string;
  readonly owner: Team;
  readonly description: string;
  readonly partitions: number;
  readonly cleanup: Cleanup;
  /** Largest value the codec accepts, in bytes. */
  readonly maxValueBytes: number;
  /** For a dead-letter topic, the topic it collects failures of. */
  readonly deadLetterOf?: string;
}

export interface JsonProduct<T = unknown> extends ProductBase {
  readonly key: Required<KeySpec<T>>;
  readonly value: JsonValue<T>;
}

export interface BytesProduct extends ProductBase {
  /** The producer passes the key: a frame is opaque to the catalog. */
  readonly key: { readonly name: string; readonly meaning: string };
  readonly value: BytesValue;
}

export type Product = JsonProduct | BytesProduct;

// Under Kafka's default max.message.bytes (1 MiB per batch including framing), so any value the
// codec accepts is also accepted by a broker with default settings.
export const DEFAULT_MAX_VALUE_BYTES = 1_000_000;

/** The current (last) schema of a JSON product. */
export function currentVersion(product: JsonProduct): SchemaVersion {
  return product.value.versions[product.value.versions.length - 1]!;
}

export function isJsonProduct(product: Product): product is JsonProduct {
  return product.value.format === ValueFormats.JSON;
}

type VersionDeclaration<S extends TSchema = TSchema> = { readonly schema: S; readonly change: string };

/** Everything a JSON product declares; `instance` is the template parameter's value, if any. */
export interface JsonDeclaration<S extends TSchema> {
  readonly name: string;
  readonly owner: Team;
  readonly description: string;
  readonly key: Required<KeySpec<Static<S>>>;
  readonly partitions: number;
  readonly cleanup: Cleanup;
  readonly schemaId: string;
  /** Oldest first; the last entry is the current schema and gives the TypeScript type. */
  readonly versions: readonly [...VersionDeclaration[], VersionDeclaration<S>];
  readonly example: Static<S>;
  readonly maxValueBytes?: number;
}

/** Declares a JSON product with one topic. */
export function jsonProduct<S extends TSchema>(declaration: JsonDeclaration<S>): JsonProduct<Static<S>> {
  return {
    topic: declaration.name,
    declaration: declaration.name,
    owner: declaration.owner,
    description: declaration.description,
    key: declaration.key,
    partitions: declaration.partitions,
    cleanup: declaration.cleanup,
    maxValueBytes: declaration.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
    value: {
      format: ValueFormats.JSON,
      schemaId: declaration.schemaId,
      versions: declaration.versions.map((v, i) => ({ version: i + 1, schema: v.schema, change: v.change })),
      example: declaration.example,
    },
  };
}

/** What may differ between the instances of a template. */
export interface InstanceSettings {
  readonly partitions: number;
  readonly cleanup: Cleanup;
  /** Appended to the template's description. */
  readonly note: string;
}

/**
 * Expands a template such as `md.candles.<interval>` into one product per instance. `build`
 * receives the instance value and returns the declaration for that topic.
 */
export function expandTemplate<I extends string, P extends Product>(
  template: string,
  instances: Readonly<Record<I, InstanceSettings>>,
  build: (instance: I, settings: InstanceSettings, topic: string) => P,
): Readonly<Record<I, P>> {
  const match = /^([^<>]*)<([a-z]+)>([^<>]*)$/.exec(template);
  if (!match)
    throw new ContractError(
      ContractErrorCodes.INVALID_DECLARATION,
      `Template ${template} must contain exactly one <parameter>`,
    );
  const out = {} as Record<I, P>;
  for (const [instance, settings] of Object.entries(instances) as Array<[I, InstanceSettings]>) {
    const topic = `${match[1]}${instance}${match[3]}`;
    out[instance] = { ...build(instance, settings, topic), topic, declaration: template };
  }
  return out;
}

/** `exchange:symbol`, the key of every market data product: per-instrument order, spread by murmur2. */
export function marketKey(value: { readonly exchange: string; readonly symbol: string }): string {
  return `${value.exchange}:${value.symbol}`;
}

/** The key of every market data product. */
export const marketKeySpec = {
  name: 'exchange:symbol',
  meaning:
    '`exchange:symbol` (binance:BTCUSDT): every event of one instrument lands on one partition, in order',
  of: marketKey,
} as const;

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
