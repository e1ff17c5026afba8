// What every venue mapper is, and the boundary checks they share: JSON body, exact decimals, integer times and ids.

import { type Exchange, type PriceLevel } from '../contracts/schema/primitives.ts';
import { FrameError, type FrameErrorCode, FrameErrorCodes } from './errors.ts';
import { type MapResult, type NormalizedEvent, type RawFrame } from './types.ts';

/** Raw exchange frame -> normalized events, for one exchange. Stateless: frames map one at a time. */
export interface VenueMapper {
  readonly exchange: Exchange;
  /**
   * The instrument a frame is about, as `map` names it in its events, or null for frames about
   * no single instrument (acks, heartbeats, exchangeInfo). Cheap: the loader calls it on every
   * frame to key `md.raw.<exchange>`, so it reads as little of the frame as it can.
   */
  symbolOf(frame: RawFrame): string | null;
  /** The frame's events, or why it carries none. Throws `FrameError` for a frame it cannot understand. */
  map(frame: RawFrame): MapResult;
}

/** A parsed JSON object whose keys are those of a declared raw type and whose values are not yet checked. */
export type Untrusted<T> = { readonly [K in keyof T]?: unknown };

/**
 * Where a check happens: the frame text (for the error message) and the JSON path of the
 * object being read. Error text is built only when a check fails, so the happy path pays nothing.
 */
export interface Where {
  readonly text: string;
  readonly path: string;
}

/** `data` + `k` -> `data.k`; `symbols` + `[3]` -> `symbols[3]`. */
function join(path: string, field: string): string {
  if (path === '') return field;
  if (field === '') return path;
  return field.startsWith('[') ? path + field : `${path}.${field}`;
}

export function at(where: Where, field: string): Where {
  return { text: where.text, path: join(where.path, field) };
}

export function fail(code: FrameErrorCode, where: Where, field: string, message: string): never {
  const path = join(where.path, field);
  throw new FrameError(code, path === '' ? message : `${path}: ${message}`, where.text, path || undefined);
}

const EMPTY: readonly [] = [];
/** A frame that carries nothing to normalize, and why. */
export function skip(reason: string): MapResult {
  return { events: EMPTY, skipped: reason };
}

/** The loader's own connection marker: a record of the connection, not market data, for every venue. */
export function skipMarker(frame: RawFrame): MapResult {
  const json = parseJson(bodyText(frame));
  const marker = isObject(json) ? json['marker'] : undefined;
  return skip(`connection marker: ${typeof marker === 'string' ? marker : 'unknown'}`);
}

/** Why a frame whose list of items (trades, klines, instruments) is empty gave no events. */
export const EMPTY_LIST = 'empty: the frame lists no items';

/**
 * Events of one frame, as a `MapResult`. An empty list (a REST page with no klines, a push with
 * no data) becomes a skip with its reason, so every frame has either events or a reason.
 */
export function emit(events: readonly NormalizedEvent[]): MapResult {
  return events.length === 0 ? skip(EMPTY_LIST) : { events };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The frame body as text; invalid UTF-8 is `not-json`. */
export function bodyText(frame: RawFrame): string {
  try {
    return utf8.decode(frame.body);
  } catch {
    throw new FrameError(FrameErrorCodes.NOT_JSON, 'the frame is not valid UTF-8', '<binary>');
  }
}

/** The one `JSON.parse` of a frame. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FrameError(FrameErrorCodes.NOT_JSON, `not JSON (${(error as Error).message})`, text);
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` as an object with `T`'s keys (values still unchecked). */
export function object<T>(value: unknown, where: Where, field = ''): Untrusted<T> {
  if (!isObject(value)) fail(missingOr(value), where, field, `expected an object, got ${kindOf(value)}`);
  return value as Untrusted<T>;
}

export function array(value: unknown, where: Where, field: string): readonly unknown[] {
  if (!Array.isArray(value)) fail(missingOr(value), where, field, `expected an array, got ${kindOf(value)}`);
  return value;
}

export function text<T>(o: Untrusted<T>, key: keyof T & string, where: Where): string {
  const v = o[key];
  if (typeof v !== 'string') fail(missingOr(v), where, key, `expected a string, got ${kindOf(v)}`);
  return v;
}

export function bool<T>(o: Untrusted<T>, key: keyof T & string, where: Where): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') fail(missingOr(v), where, key, `expected true or false, got ${kindOf(v)}`);
  return v;
}

/** A non-negative safe integer: ids, sequence numbers, ms timestamps, counts. */
export function uint(value: unknown, where: Where, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    fail(missingOr(value), where, field, `expected a non-negative integer, got ${kindOf(value)}`);
  return value;
}

export function uintField<T>(o: Untrusted<T>, key: keyof T & string, where: Where): number {
  return uint(o[key], where, key);
}

// The Decimal pattern of src/contracts/schema/primitives.ts without the sign: a price or a
// quantity below zero is impossible, and a price of zero is too.
const NON_NEGATIVE = /^(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;
const POSITIVE = /^(?:[1-9][0-9]*(?:\.[0-9]+)?|0\.[0-9]*[1-9][0-9]*)$/;
const MAX_DECIMAL_CHARS = 64;

/** Exact decimal text >= 0 (book quantities, volumes), returned as sent: never re-formatted through a float. */
export function nonNegative(value: unknown, where: Where, field: string): string {
  if (typeof value !== 'string' || value.length > MAX_DECIMAL_CHARS || !NON_NEGATIVE.test(value))
    fail(missingOr(value), where, field, `expected decimal text >= 0, got ${kindOf(value)}`);
  return value;
}

/** Exact decimal text > 0 (prices, trade quantities, tick sizes), returned as sent. */
export function positive(value: unknown, where: Where, field: string): string {
  if (typeof value !== 'string' || value.length > MAX_DECIMAL_CHARS || !POSITIVE.test(value))
    fail(missingOr(value), where, field, `expected decimal text > 0, got ${kindOf(value)}`);
  return value;
}

export function nonNegativeField<T>(o: Untrusted<T>, key: keyof T & string, where: Where): string {
  return nonNegative(o[key], where, key);
}

export function positiveField<T>(o: Untrusted<T>, key: keyof T & string, where: Where): string {
  return positive(o[key], where, key);
}

const SYMBOL = /^[A-Z0-9][A-Z0-9._/-]{0,63}$/;

/** The exchange's instrument id, as the normalized schemas accept it. */
export function symbol(value: unknown, where: Where, field: string): string {
  if (typeof value !== 'string' || !SYMBOL.test(value))
    fail(missingOr(value), where, field, `expected an instrument symbol, got ${kindOf(value)}`);
  return value;
}

/**
 * `[[price, qty, ...], ...]` -> `[[price, qty], ...]`, best first as sent. Fields after the
 * quantity (OKX order counts, Kraken times) are dropped; when there are none the parsed array
 * is returned as it is, so a Binance diff costs no copy.
 */
export function levels(value: unknown, where: Where, field: string): PriceLevel[] {
  const rows = array(value, where, field);
  let exact = true;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (!Array.isArray(row) || row.length < 2)
      fail(
        FrameErrorCodes.BAD_VALUE,
        where,
        `${field}[${i}]`,
        `expected [price, quantity], got ${kindOf(row)}`,
      );
    positive(row[0], where, `${field}[${i}][0]`);
    nonNegative(row[1], where, `${field}[${i}][1]`);
    if (row.length !== 2) exact = false;
  }
  if (exact) return rows as PriceLevel[];
  const out: PriceLevel[] = new Array<PriceLevel>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as readonly string[];
    out[i] = [row[0]!, row[1]!];
  }
  return out;
}

const DIGITS = /^(?:0|[1-9][0-9]{0,15})$/;

/** Integer ms as decimal digits (OKX `ts`: "1652459225464"). */
export function msFromDigits(value: unknown, where: Where, field: string): number {
  const n = typeof value === 'string' && DIGITS.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n))
    fail(missingOr(value), where, field, `expected integer ms text, got ${kindOf(value)}`);
  return n;
}

const ZERO = 48;
const MAX_SECONDS_DIGITS = 12;

/**
 * `1618678133.365913` (seconds, as text) -> 1618678133365, from the digits, so a float never
 * rounds it up; undefined when the text is not that. A character loop: Kraken sends one of
 * these per book level, and a regex plus slices cost several times more.
 */
export function secondsTextToMs(value: string): number | undefined {
  const n = value.length;
  let seconds = 0;
  let i = 0;
  for (; i < n; i++) {
    const d = value.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) break;
    seconds = seconds * 10 + d;
  }
  if (i === 0 || i > MAX_SECONDS_DIGITS) return undefined;
  let ms = 0;
  if (i < n) {
    if (value.charCodeAt(i) !== 46 /* . */ || i === n - 1) return undefined;
    for (let j = i + 1, k = 0; j < n; j++, k++) {
      const d = value.charCodeAt(j) - ZERO;
      if (d < 0 || d > 9) return undefined;
      if (k < 3) ms = ms * 10 + d;
    }
    for (let k = n - i - 1; k < 3; k++) ms *= 10;
  }
  return seconds * 1000 + ms;
}

export function msFromSeconds(value: unknown, where: Where, field: string): number {
  const ms = typeof value === 'string' ? secondsTextToMs(value) : undefined;
  if (ms === undefined)
    fail(missingOr(value), where, field, `expected seconds as decimal text, got ${kindOf(value)}`);
  return ms;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;
// Coinbase stamps every message; consecutive ones share the minute, so its ms is kept.
let lastMinute = '';
let lastMinuteMs = 0;

function isoToMs(value: string): number | undefined {
  const m = ISO.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, f] = m;
  const seconds = +s!;
  if (seconds > 59) return undefined;
  const minute = value.slice(0, 16);
  if (minute !== lastMinute) {
    const ms = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!);
    // Market data is never older than the epoch; Date.UTC also reads years 0-99 as 1900-1999.
    if (ms < 0) return undefined;
    // Date.UTC rolls 2021-02-30 over to March; an impossible time must not become another one.
    const check = new Date(ms);
    if (
      check.getUTCMonth() !== +mo! - 1 ||
      check.getUTCDate() !== +d! ||
      check.getUTCHours() !== +h! ||
      check.getUTCMinutes() !== +mi!
    )
      return undefined;
    lastMinute = minute;
    lastMinuteMs = ms;
  }
  return lastMinuteMs + seconds * 1000 + (f === undefined ? 0 : Number(f.padEnd(3, '0').slice(0, 3)));
}

/** `2021-04-17T16:43:37.075687Z` -> integer ms (floor); only UTC RFC 3339, as Coinbase sends. */
export function msFromIso(value: unknown, where: Where, field: string): number {
  const ms = typeof value === 'string' ? isoToMs(value) : undefined;
  if (ms === undefined)
    fail(missingOr(value), where, field, `expected an RFC 3339 UTC time, got ${kindOf(value)}`);
  return ms;
}

function missingOr(value: unknown): FrameErrorCode {
  return value === undefined ? FrameErrorCodes.MISSING_FIELD : FrameErrorCodes.BAD_VALUE;
}

/** How a bad value is shown in an error: its JSON text, shortened. */
function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  const shown = JSON.stringify(value) ?? String(value);
  return shown.length > 40 ? `${shown.slice(0, 40)}...` : shown;
}
