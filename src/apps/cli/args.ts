// Parsers for CLI option values; each names the option and the value it rejects.

import { UsageError } from './errors.ts';

export function positiveInt(name: string): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1)
      throw new UsageError(`${name} must be a positive integer, got "${raw}"`);
    return n;
  };
}

export function nonNegativeInt(name: string): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n))
      throw new UsageError(`${name} must be a non-negative integer, got "${raw}"`);
    return n;
  };
}

/** Collects repeatable `name=value` options into a record. */
export function keyValue(
  name: string,
): (raw: string, previous: Record<string, string> | undefined) => Record<string, string> {
  return (raw, previous) => {
    const eq = raw.indexOf('=');
    if (eq <= 0) throw new UsageError(`${name} takes name=value, got "${raw}"`);
    return { ...previous, [raw.slice(0, eq)]: raw.slice(eq + 1) };
  };
}

/** An ISO-8601 date-time (with a zone, or UTC is assumed) or epoch milliseconds. */
export function datetime(name: string): (raw: string) => number {
  return (raw) => {
    if (/^\d+$/.test(raw)) return Number(raw);
    const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(raw) || !raw.includes('T') ? raw : `${raw}Z`;
    const ms = Date.parse(withZone);
    if (Number.isNaN(ms))
      throw new UsageError(
        `${name} must be an ISO-8601 date-time such as 2024-08-09T00:00:00Z, got "${raw}"`,
      );
    return ms;
  };
}
