// The configuration's leaves (dotted paths), their environment variable names, and text-to-value parsing.

import { type TSchema } from '@sinclair/typebox';
import { ConfigSchema } from './schema.ts';

export interface Leaf {
  /** Dotted path, e.g. `services.orderbook.depthLevels`. */
  readonly path: string;
  readonly schema: TSchema;
  /** The generic variable: STREAMFORGE_ + the path in upper snake case. */
  readonly env: string;
}

type Node = TSchema & {
  type?: string;
  properties?: Record<string, TSchema>;
  items?: TSchema;
  anyOf?: TSchema[];
  const?: unknown;
};

const snake = (segment: string): string => segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

export function envNameOf(path: string): string {
  return `STREAMFORGE_${path.split('.').map(snake).join('_')}`;
}

function walk(schema: Node, prefix: string, out: Leaf[]): void {
  if (schema.type === 'object' && schema.properties) {
    for (const [key, child] of Object.entries(schema.properties))
      walk(child as Node, prefix ? `${prefix}.${key}` : key, out);
    return;
  }
  out.push({ path: prefix, schema, env: envNameOf(prefix) });
}

/** Every leaf of the schema, in schema order. */
export const LEAVES: readonly Leaf[] = (() => {
  const out: Leaf[] = [];
  walk(ConfigSchema as Node, '', out);
  return out;
})();

export const LEAF_BY_PATH: ReadonlyMap<string, Leaf> = new Map(LEAVES.map((l) => [l.path, l]));

/** The object node at a path ('' is the root), or undefined when the path is not an object. */
export function objectAt(path: string): Record<string, TSchema> | undefined {
  let node = ConfigSchema as Node;
  if (path !== '')
    for (const segment of path.split('.')) {
      const next = node.properties?.[segment] as Node | undefined;
      if (!next) return undefined;
      node = next;
    }
  return node.type === 'object' ? (node.properties ?? {}) : undefined;
}

/** What a leaf accepts, in words, for error messages. */
export function describeAllowed(schema: TSchema): string {
  const s = schema as Node & Record<string, unknown>;
  if (s.anyOf && s.anyOf.every((a) => (a as Node).const !== undefined))
    return `one of ${s.anyOf.map((a) => String((a as Node).const)).join(', ')}`;
  if (s.type === 'integer') {
    const min = s['minimum'] as number | undefined;
    const max = s['maximum'] as number | undefined;
    if (min !== undefined && max !== undefined) return `an integer from ${min} to ${max}`;
    if (min !== undefined) return `an integer >= ${min}`;
    return 'an integer';
  }
  if (s.type === 'number') return String(s['description'] ?? 'a number');
  if (s.type === 'boolean') return 'true or false';
  if (s.type === 'array' && s.items) {
    const min = s['minItems'] as number | undefined;
    return `a list (YAML list, or comma separated text) of ${describeAllowed(s.items)}${min ? `, at least ${min}` : ''}`;
  }
  if (s.type === 'string') return String(s['description'] ?? 'text');
  return String(s['description'] ?? 'a value');
}

/**
 * Turns text (an environment variable, a flag) into the leaf's type where it reads as one;
 * anything else is returned as text, for validation to refuse with the allowed values.
 */
export function parseText(schema: TSchema, raw: string): unknown {
  const s = schema as Node;
  const text = raw.trim();
  switch (s.type) {
    case 'integer':
      return /^-?\d+$/.test(text) ? Number(text) : raw;
    case 'number':
      return text !== '' && Number.isFinite(Number(text)) ? Number(text) : raw;
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(text)) return true;
      if (/^(false|0|no|off)$/i.test(text)) return false;
      return raw;
    case 'array':
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0)
        .map((item) => parseText(s.items!, item));
    default:
      return raw;
  }
}
