// The effective configuration as a user reads it: every leaf with its value and source, secrets masked.

import { LEAVES } from './leaves.ts';
import { databaseUrlOf, describeSource, type LoadedConfig } from './load.ts';
import { maskValue } from './mask.ts';
import { SECRET_PATHS, URL_PATHS } from './schema.ts';

export interface PrintedLeaf {
  readonly path: string;
  /** Masked; absent when unset (the service's own default applies). */
  readonly value?: unknown;
  readonly source: string;
}

/** Every leaf of the schema, masked, with where its value came from. */
export function effectiveLeaves(loaded: LoadedConfig): PrintedLeaf[] {
  const out: PrintedLeaf[] = [];
  for (const leaf of LEAVES) {
    let node: unknown = loaded.config;
    for (const part of leaf.path.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
    const source = loaded.sources.get(leaf.path);
    if (node === undefined && leaf.path === 'database.url') {
      out.push({
        path: leaf.path,
        value: maskValue(leaf.path, databaseUrlOf(loaded.config)),
        source: 'default (follows the bus)',
      });
      continue;
    }
    if (node === undefined) {
      out.push({ path: leaf.path, source: 'unset (the service default applies)' });
      continue;
    }
    out.push({
      path: leaf.path,
      value: maskValue(leaf.path, node),
      source: source ? describeSource(source) : 'default',
    });
  }
  return out;
}

/** The configuration as a masked JSON document (what `config print --json` shows under `config`). */
export function maskedConfig(loaded: LoadedConfig): unknown {
  const copy = structuredClone(loaded.config) as unknown as Record<string, unknown>;
  for (const path of [...SECRET_PATHS, ...URL_PATHS]) {
    const parts = path.split('.');
    let node: Record<string, unknown> | undefined = copy;
    for (const part of parts.slice(0, -1)) node = node?.[part] as Record<string, unknown> | undefined;
    const last = parts[parts.length - 1]!;
    if (node && node[last] !== undefined) node[last] = maskValue(path, node[last]);
  }
  return copy;
}

/** Aligned text lines: `path  value  (source)`; unset leaves only with `all`. */
export function formatConfig(loaded: LoadedConfig, options: { readonly all?: boolean } = {}): string {
  const rows = effectiveLeaves(loaded).filter((l) => options.all || l.value !== undefined);
  const width = Math.max(...rows.map((r) => r.path.length));
  const show = (v: unknown): string =>
    Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : JSON.stringify(v);
  return rows
    .map((r) => `${r.path.padEnd(width)}  ${r.value === undefined ? '-' : show(r.value)}  (${r.source})`)
    .join('\n');
}
