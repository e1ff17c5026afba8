// Builds the effective configuration: defaults < config file < STREAMFORGE_* variables < flags, validated, each value with its source.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import YAML from 'yaml';
import { closeMatches } from '../contracts/suggest.ts';
import { defaultDatabaseUrl } from '../services/writer/config.ts';
import { describeAllowed, LEAF_BY_PATH, LEAVES, objectAt, parseText } from './leaves.ts';
import { maskValue } from './mask.ts';
import {
  AUTOSCALE_DEFAULTS,
  type Config,
  CONFIG_DEFAULTS,
  ConfigSchema,
  PLATFORM_SERVICE_NAMES,
} from './schema.ts';

/** Where a value came from, for `config print` and for error messages. */
export type ConfigSource =
  | { readonly kind: 'default' }
  | { readonly kind: 'file'; readonly file: string }
  | { readonly kind: 'inline' }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'flag'; readonly flag: string };

export function describeSource(source: ConfigSource): string {
  switch (source.kind) {
    case 'default':
      return 'default';
    case 'file':
      return `file ${source.file}`;
    case 'inline':
      return `${CONFIG_JSON_ENV} (from the supervisor)`;
    case 'env':
      return `env ${source.name}`;
    case 'flag':
      return `flag ${source.flag}`;
  }
}

export interface ConfigIssue {
  readonly source: ConfigSource;
  /** Dotted path inside the configuration (`services.orderbook.depthLevels`). */
  readonly path: string;
  readonly value?: unknown;
  readonly message: string;
}

/** Everything wrong with a configuration, each issue naming where it came from and what is allowed. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(
      issues.length === 1
        ? formatIssue(issues[0]!)
        : `${issues.length} configuration problems:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`,
    );
    this.issues = issues;
  }
}

function formatIssue(issue: ConfigIssue): string {
  const where = describeSource(issue.source);
  const at = issue.path === '' ? '' : ` ${issue.path}`;
  // Secrets never reach a message: a wrong API key or a database address shows masked.
  const value = issue.value === undefined ? '' : ` = ${JSON.stringify(maskValue(issue.path, issue.value))}`;
  return `${where}:${at}${value}${at || value ? ':' : ''} ${issue.message}`;
}

/** The variable naming a config file, and the one carrying a whole configuration inline (what the supervisor gives its children). */
export const CONFIG_FILE_ENV = 'STREAMFORGE_CONFIG';
export const CONFIG_JSON_ENV = 'STREAMFORGE_CONFIG_JSON';

/** Variables that existed before the configuration did; each keeps working as a name for one leaf. */
export const ENV_ALIASES: Readonly<Record<string, string>> = {
  STREAMFORGE_SYMBOLS: 'market.symbols',
  STREAMFORGE_CHANNELS: 'market.channels',
  STREAMFORGE_KLINE_INTERVALS: 'market.klineIntervals',
  STREAMFORGE_LOADER_EXCHANGE: 'market.exchange',
  STREAMFORGE_LIVE: 'market.source',
  STREAMFORGE_BINANCE_REST_URL: 'market.restUrl',
  STREAMFORGE_BINANCE_WS_URL: 'market.wsUrl',
  STREAMFORGE_METRICS_PORT: 'ports.metrics',
  STREAMFORGE_WRITER_BOOK_TOP_SAMPLE_MS: 'services.writer.bookTopSampleMs',
};

/**
 * Name spaces the configuration owns: a variable starting with one of these that is not a
 * known name is a typo, and an error (other STREAMFORGE_* variables, such as the test runner's,
 * are left alone).
 */
const OWNED_ENV_PREFIXES = Object.keys(CONFIG_DEFAULTS)
  .filter((k) => k !== 'bus')
  .map((k) => `STREAMFORGE_${k.toUpperCase()}_`);

export interface FlagValue {
  /** Dotted path of the leaf it sets. */
  readonly path: string;
  /** Text (parsed like an environment variable) or an already typed value. */
  readonly value: unknown;
  /** How the user wrote it, for messages: `--symbols`, `--set services.orderbook.depthLevels`. */
  readonly flag: string;
}

export interface LoadOptions {
  /** A config file (`--config`); default the file named by STREAMFORGE_CONFIG, if any. */
  readonly file?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly flags?: readonly FlagValue[];
}

export interface LoadedConfig {
  readonly config: Config;
  /** The source of every leaf that has a value. */
  readonly sources: ReadonlyMap<string, ConfigSource>;
  /** The file read, if any. */
  readonly file: string | undefined;
}

type Mutable = Record<string, unknown>;

function isPlainObject(v: unknown): v is Mutable {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function setAt(target: Mutable, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (!isPlainObject(node[part])) node[part] = {};
    node = node[part] as Mutable;
  }
  node[parts[parts.length - 1]!] = value;
}

function getAt(target: unknown, dotted: string): unknown {
  let node = target;
  for (const part of dotted.split('.')) {
    if (!isPlainObject(node)) return undefined;
    node = node[part];
  }
  return node;
}

function unknownKey(source: ConfigSource, at: string, key: string, known: readonly string[]): ConfigIssue {
  const full = at ? `${at}.${key}` : key;
  const close = closeMatches(key, known, 3);
  const hint =
    close.length > 0 ? `did you mean ${close.map((c) => (at ? `${at}.${c}` : c)).join(' or ')}?` : '';
  return {
    source,
    path: full,
    message: `unknown key${hint ? `; ${hint}` : ''} (${at || 'the top level'} has ${known.join(', ')})`,
  };
}

/** Copies a document (file or inline JSON) onto the configuration, refusing unknown keys. */
function applyDocument(
  target: Mutable,
  doc: unknown,
  source: ConfigSource,
  sources: Map<string, ConfigSource>,
  issues: ConfigIssue[],
  at = '',
): void {
  const props = objectAt(at)!;
  if (!isPlainObject(doc)) {
    issues.push({
      source,
      path: at,
      value: doc,
      message: `must be a mapping with keys ${Object.keys(props).join(', ') || '(none)'}`,
    });
    return;
  }
  for (const [key, value] of Object.entries(doc)) {
    const full = at ? `${at}.${key}` : key;
    if (!Object.hasOwn(props, key)) {
      issues.push(unknownKey(source, at, key, Object.keys(props)));
      continue;
    }
    if (LEAF_BY_PATH.has(full)) {
      if (value === null || value === undefined) continue; // an empty YAML key keeps the default
      const leaf = LEAF_BY_PATH.get(full)!;
      // A list may be written as comma separated text, as in a variable.
      const typed =
        typeof value === 'string' && (leaf.schema as { type?: string }).type === 'array'
          ? parseText(leaf.schema, value)
          : value;
      setAt(target, full, typed);
      sources.set(full, source);
    } else {
      if (value === null || value === undefined) continue;
      applyDocument(target, value, source, sources, issues, full);
    }
  }
}

/**
 * A parser's complaint without the text it quotes: V8 quotes the JSON around the mistake and
 * YAML adds a code frame, either of which may hold a secret.
 */
function parseComplaint(error: unknown): string {
  return (error as Error).message
    .split('\n')[0]!
    .replace(/,? ".*" is not valid JSON$/, '')
    .replace(/:$/, '');
}

function readDocument(file: string, issues: ConfigIssue[]): unknown {
  const source: ConfigSource = { kind: 'file', file };
  const ext = path.extname(file).toLowerCase();
  if (!['.yaml', '.yml', '.json'].includes(ext)) {
    issues.push({ source, path: '', message: 'a config file ends in .yaml, .yml or .json' });
    return undefined;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    issues.push({
      source,
      path: '',
      message:
        code === 'ENOENT'
          ? `no such file (give the path of a YAML or JSON file with --config or ${CONFIG_FILE_ENV})`
          : `cannot be read: ${(error as Error).message}`,
    });
    return undefined;
  }
  try {
    if (ext === '.json') return JSON.parse(text) as unknown;
    const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) throw doc.errors[0]!;
    return doc.toJS() as unknown;
  } catch (error) {
    issues.push({
      source,
      path: '',
      message: `is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${parseComplaint(error)}`,
    });
    return undefined;
  }
}

function applyEnv(
  target: Mutable,
  env: NodeJS.ProcessEnv,
  sources: Map<string, ConfigSource>,
  issues: ConfigIssue[],
): void {
  const generic = new Map(LEAVES.map((l) => [l.env, l]));
  const known = [...generic.keys(), ...Object.keys(ENV_ALIASES)];
  // Aliases first: the generic name of the same leaf wins when both are set.
  const names = Object.keys(env)
    .filter((n) => n.startsWith('STREAMFORGE_'))
    .sort((a, b) => Number(generic.has(a)) - Number(generic.has(b)));
  for (const name of names) {
    const raw = env[name];
    if (raw === undefined) continue;
    const source: ConfigSource = { kind: 'env', name };
    const leafPath = generic.get(name)?.path ?? ENV_ALIASES[name];
    if (leafPath === undefined) {
      if (OWNED_ENV_PREFIXES.some((p) => name.startsWith(p))) {
        const close = closeMatches(name, known, 3);
        issues.push({
          source,
          path: '',
          message: `no such setting${close.length > 0 ? `; did you mean ${close.join(' or ')}?` : ''}`,
        });
      }
      continue;
    }
    if (raw === '') continue; // an empty variable is unset, as the services always read it
    const leaf = LEAF_BY_PATH.get(leafPath)!;
    let value: unknown = parseText(leaf.schema, raw);
    if (name === 'STREAMFORGE_LIVE') {
      if (raw !== '1' && raw !== '0') {
        issues.push({
          source,
          path: leafPath,
          value: raw,
          message: 'give 1 (live Binance) or 0 (the simulator)',
        });
        continue;
      }
      value = raw === '1' ? 'live' : 'simulator';
    }
    setAt(target, leafPath, value);
    sources.set(leafPath, source);
  }
}

function applyFlags(
  target: Mutable,
  flags: readonly FlagValue[],
  sources: Map<string, ConfigSource>,
  issues: ConfigIssue[],
): void {
  for (const flag of flags) {
    const source: ConfigSource = { kind: 'flag', flag: flag.flag };
    const leaf = LEAF_BY_PATH.get(flag.path);
    if (!leaf) {
      const close = closeMatches(
        flag.path,
        LEAVES.map((l) => l.path),
        3,
      );
      issues.push({
        source,
        path: flag.path,
        message: `no such setting${close.length > 0 ? `; did you mean ${close.join(' or ')}?` : ''}`,
      });
      continue;
    }
    setAt(
      target,
      flag.path,
      typeof flag.value === 'string' ? parseText(leaf.schema, flag.value) : flag.value,
    );
    sources.set(flag.path, source);
  }
}

/** The leaf path an error path (`/market/symbols/2`) belongs to. */
function leafOf(pointer: string): string {
  const parts = pointer.split('/').filter((p) => p !== '');
  while (parts.length > 0 && !LEAF_BY_PATH.has(parts.join('.'))) parts.pop();
  return parts.join('.');
}

function validate(config: Mutable, sources: ReadonlyMap<string, ConfigSource>, issues: ConfigIssue[]): void {
  const seen = new Set<string>();
  for (const error of Value.Errors(ConfigSchema, config)) {
    const leafPath = leafOf(error.path);
    if (seen.has(leafPath)) continue;
    seen.add(leafPath);
    const leaf = LEAF_BY_PATH.get(leafPath);
    if (!leaf) {
      // A required leaf missing inside an object the user gave (e.g. autoscale.orderbook.max).
      const missing = error.path
        .split('/')
        .filter((p) => p !== '')
        .join('.');
      const parent = missing.split('.').slice(0, -1).join('.');
      issues.push({
        source: sources.get(parent) ?? findSourceUnder(sources, parent) ?? { kind: 'default' },
        path: missing,
        message: error.message.startsWith('Expected required') ? 'is required here' : error.message,
      });
      continue;
    }
    const value = getAt(config, leafPath);
    if (value === undefined) {
      const parent = leafPath.split('.').slice(0, -1).join('.');
      issues.push({
        source: findSourceUnder(sources, parent) ?? { kind: 'default' },
        path: leafPath,
        message: `is required: give ${describeAllowed(leaf.schema)}`,
      });
      continue;
    }
    issues.push({
      source: sources.get(leafPath) ?? { kind: 'default' },
      path: leafPath,
      value,
      message: `must be ${describeAllowed(leaf.schema)}`,
    });
  }
}

function findSourceUnder(
  sources: ReadonlyMap<string, ConfigSource>,
  prefix: string,
): ConfigSource | undefined {
  for (const [p, s] of sources) if (p.startsWith(`${prefix}.`)) return s;
  return undefined;
}

/** Rules between values, which the schema cannot say. */
function crossCheck(config: Config, sources: ReadonlyMap<string, ConfigSource>, issues: ConfigIssue[]): void {
  const src = (p: string): ConfigSource =>
    sources.get(p) ?? findSourceUnder(sources, p) ?? { kind: 'default' };
  for (const name of PLATFORM_SERVICE_NAMES) {
    const a = config.autoscale[name];
    if (!a) continue;
    const min = a.min ?? AUTOSCALE_DEFAULTS.min;
    if (min > a.max)
      issues.push({
        source: src(`autoscale.${name}.min`),
        path: `autoscale.${name}.min`,
        value: min,
        message: `must not exceed autoscale.${name}.max (${a.max})`,
      });
    const replicas = config.replicas[name];
    if (replicas !== undefined && (replicas < min || replicas > a.max))
      issues.push({
        source: src(`replicas.${name}`),
        path: `replicas.${name}`,
        value: replicas,
        message: `the autoscaler of ${name} keeps it from ${min} to ${a.max} replicas; start within that range or drop one of the two`,
      });
  }
  if (config.supervisor.restartInitialMs > config.supervisor.restartMaxMs)
    issues.push({
      source: src('supervisor.restartInitialMs'),
      path: 'supervisor.restartInitialMs',
      value: config.supervisor.restartInitialMs,
      message: `must not exceed supervisor.restartMaxMs (${config.supervisor.restartMaxMs})`,
    });
}

/**
 * The effective configuration from every source, or a ConfigError listing every problem, each
 * with its source (file, variable, flag), path, value and what is allowed.
 */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const issues: ConfigIssue[] = [];
  const sources = new Map<string, ConfigSource>();
  const config = structuredClone(CONFIG_DEFAULTS) as unknown as Mutable;
  for (const leaf of LEAVES)
    if (getAt(config, leaf.path) !== undefined) sources.set(leaf.path, { kind: 'default' });

  const fileName = options.file ?? (env[CONFIG_FILE_ENV] || undefined);
  const file = fileName === undefined ? undefined : path.resolve(fileName);
  if (file !== undefined) {
    const doc = readDocument(file, issues);
    if (doc !== undefined && doc !== null)
      applyDocument(config, doc, { kind: 'file', file: fileName! }, sources, issues);
  }
  const inline = env[CONFIG_JSON_ENV];
  if (inline) {
    let doc: unknown;
    try {
      doc = JSON.parse(inline);
    } catch (error) {
      issues.push({
        source: { kind: 'inline' },
        path: '',
        message: `is not valid JSON: ${parseComplaint(error)}`,
      });
    }
    if (doc !== undefined) applyDocument(config, doc, { kind: 'inline' }, sources, issues);
  }
  applyEnv(config, env, sources, issues);
  applyFlags(config, options.flags ?? [], sources, issues);
  validate(config, sources, issues);
  if (issues.length > 0) throw new ConfigError(issues);
  const typed = config as unknown as Config;
  crossCheck(typed, sources, issues);
  if (issues.length > 0) throw new ConfigError(issues);
  return { config: typed, sources, file };
}

/** Where the writer stores: the configured address, else the default that follows the bus. */
export function databaseUrlOf(config: Config): string {
  return config.database.url ?? defaultDatabaseUrl(config.bus);
}
