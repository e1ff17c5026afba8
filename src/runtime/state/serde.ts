// How store values become changelog bytes and back; JSON by default, refusing values that would not read back exactly.

import { StateError, StateErrorCodes } from './errors.ts';

/**
 * Turns store values into changelog bytes and back. `deserialize(serialize(v))` must equal `v`:
 * the store keeps that copy, not `v`, so a live instance and one that restored the changelog
 * hold exactly the same state.
 */
export interface Serde<V> {
  serialize(value: V): Buffer;
  deserialize(bytes: Buffer): V;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The JSON pointer of a path, for messages. */
function pointer(path: readonly (string | number)[]): string {
  return path.length === 0 ? '/' : `/${path.join('/')}`;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object' && value !== null) return `a ${value.constructor?.name ?? 'class'} instance`;
  return `a ${typeof value}`;
}

/**
 * Throws unless `value` is plain JSON that `JSON.parse(JSON.stringify(value))` gives back
 * unchanged. `JSON.stringify` is lenient where state must not be: it writes NaN as null, drops
 * undefined fields and turns a Date into a string, so the restored state would differ.
 */
function checkJson(value: unknown, path: (string | number)[], ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (Number.isFinite(value)) return;
      break;
    case 'object': {
      if (value === null) return;
      if (ancestors.has(value)) {
        throw new StateError(StateErrorCodes.INVALID_VALUE, `the value refers to itself at ${pointer(path)}`);
      }
      const proto: unknown = Object.getPrototypeOf(value);
      const isArray = Array.isArray(value);
      if (!isArray && proto !== Object.prototype && proto !== null) break;
      ancestors.add(value);
      if (isArray) value.forEach((item, i) => checkJson(item, [...path, i], ancestors));
      else for (const [k, v] of Object.entries(value)) checkJson(v, [...path, k], ancestors);
      ancestors.delete(value);
      return;
    }
    default:
      break;
  }
  throw new StateError(
    StateErrorCodes.INVALID_VALUE,
    `${describe(value)} at ${pointer(path)} does not survive JSON unchanged`,
    {
      hint: 'store plain objects, arrays, strings, booleans, null and finite numbers (decimal text for prices), or give the store its own serde',
    },
  );
}

function deepFreeze<V>(value: V): V {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * The default serde: UTF-8 JSON. Values read back are frozen, so that changing one in place
 * (which would change the live state without writing the changelog) throws instead of silently
 * diverging from what a restored instance would see; build a new value and `put` it.
 */
export function jsonSerde<V>(): Serde<V> {
  return {
    serialize(value) {
      checkJson(value, [], new Set());
      return Buffer.from(JSON.stringify(value), 'utf8');
    },
    deserialize(bytes) {
      return deepFreeze(JSON.parse(utf8.decode(bytes)) as V);
    },
  };
}
