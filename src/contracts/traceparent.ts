// W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/): generate, parse, validate.

import { randomBytes } from 'node:crypto';

export interface TraceContext {
  /** Two lowercase hex digits; "00" is the only version defined so far. */
  readonly version: string;
  /** 32 lowercase hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lowercase hex digits, not all zero: the span that produced the record. */
  readonly parentId: string;
  /** 8 bits of trace flags; bit 0 is `sampled`. */
  readonly flags: number;
}

/**
 * Checks `text[from, to)` is lowercase hex: 0 when not, 1 when all zeros, 2 otherwise. A loop
 * over char codes, not a RegExp and a slice: every consumed record's traceparent is checked.
 */
function hexRun(text: string, from: number, to: number): 0 | 1 | 2 {
  let nonZero = false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 48) continue;
    if ((c > 48 && c <= 57) || (c >= 97 && c <= 102)) nonZero = true;
    else return 0;
  }
  return nonZero ? 2 : 1;
}

/** Why `text` is not a valid traceparent, or undefined when it is. */
export function traceparentProblem(text: string): string | undefined {
  if (text.length < 55) return `is ${text.length} characters, a traceparent has 55`;
  if (hexRun(text, 0, 2) === 0) return 'version is not two lowercase hex digits';
  if (text.startsWith('ff')) return 'version ff is forbidden';
  // Version 00 is exactly 55 characters; a later version may append fields after a '-',
  // and a parser must then read the first four fields as version 00 defines them.
  if (text.startsWith('00') && text.length !== 55) return `is ${text.length} characters, version 00 has 55`;
  if (text.length > 55 && text[55] !== '-') return 'fields after the flags must follow a "-"';
  if (text[2] !== '-' || text[35] !== '-' || text[52] !== '-') return 'fields are not separated by "-"';
  const traceId = hexRun(text, 3, 35);
  if (traceId === 0) return 'trace-id is not 32 lowercase hex digits';
  if (traceId === 1) return 'trace-id is all zeros';
  const parentId = hexRun(text, 36, 52);
  if (parentId === 0) return 'parent-id is not 16 lowercase hex digits';
  if (parentId === 1) return 'parent-id is all zeros';
  if (hexRun(text, 53, 55) === 0) return 'trace-flags is not two lowercase hex digits';
  return undefined;
}

/** The parsed context, or undefined when `text` is not a valid traceparent. */
export function parseTraceparent(text: string): TraceContext | undefined {
  if (traceparentProblem(text) !== undefined) return undefined;
  return {
    version: text.slice(0, 2),
    traceId: text.slice(3, 35),
    parentId: text.slice(36, 52),
    flags: Number.parseInt(text.slice(53, 55), 16),
  };
}

/** Formats as version 00 (the version this code implements, whatever version it parsed). */
export function formatTraceparent(context: Omit<TraceContext, 'version'>): string {
  return `00-${context.traceId}-${context.parentId}-${(context.flags & 0xff).toString(16).padStart(2, '0')}`;
}

export function isSampled(context: TraceContext): boolean {
  return (context.flags & 1) === 1;
}

/**
 * Random bytes drawn in 4 KiB blocks: one `randomBytes` call per id cost 10-15 us, most of
 * encoding a record, and every produced record gets a new span id.
 */
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;

function randomHex(bytes: number): string {
  // An all-zero id is invalid; with 64+ random bits it never happens, but the spec forbids it.
  for (;;) {
    if (poolAt + bytes > pool.length) {
      pool = randomBytes(POOL_SIZE);
      poolAt = 0;
    }
    const id = pool.toString('hex', poolAt, poolAt + bytes);
    poolAt += bytes;
    if (hexRun(id, 0, id.length) !== 1) return id;
  }
}

/** Starts a new trace: fresh trace-id and parent-id. */
export function newTraceparent(sampled = true): string {
  return formatTraceparent({ traceId: randomHex(16), parentId: randomHex(8), flags: sampled ? 1 : 0 });
}

/**
 * Continues `parent`'s trace from a new span (a record produced while handling a consumed
 * one): same trace-id and flags, new parent-id. Starts a new trace when `parent` is invalid,
 * as the spec asks.
 */
export function childTraceparent(parent: string | TraceContext | undefined): string {
  const context = typeof parent === 'string' ? parseTraceparent(parent) : parent;
  if (!context) return newTraceparent();
  return formatTraceparent({ traceId: context.traceId, parentId: randomHex(8), flags: context.flags });
}
