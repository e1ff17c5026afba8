// How secrets are shown: never, as `****`; addresses keep everything but their password.

import { SECRET_PATHS, URL_PATHS } from './schema.ts';

export const MASK = '****';

/** An address with its password (the `:secret` of `user:secret@`) replaced by the mask. */
export function maskUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*):[^@/\s]*@/i, `$1:${MASK}@`);
}

/** A value as it may be shown: secrets are the mask, addresses lose their password. */
export function maskValue(path: string, value: unknown): unknown {
  if (value === undefined) return undefined;
  if (SECRET_PATHS.includes(path)) return MASK;
  if (URL_PATHS.includes(path) && typeof value === 'string') return maskUrl(value);
  return value;
}
