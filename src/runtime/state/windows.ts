// Event-time tumbling and hopping windows with a watermark and grace: pure logic, no bus.

import { StateError, StateErrorCodes } from './errors.ts';

export interface WindowSpec {
  /** Window length in ms; a window is [start, start + size). */
  readonly size: number;
  /** Distance between window starts in ms; `size` (the default) gives tumbling windows, less gives hopping ones. */
  readonly advance?: number;
  /** How long after a window's end, in event time, its late records are still accepted. Default 0. */
  readonly grace?: number;
}

export interface WindowOptions<V, A> extends WindowSpec {
  /** Folds one value into a window's result; `acc` is undefined for the window's first value. */
  readonly aggregate: (acc: A | undefined, value: V) => A;
}

export interface ClosedWindow<A> {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly result: A;
}

/** A record whose every window had closed when it arrived: it was not folded into anything. */
export interface LateRecord<V> {
  readonly key: string;
  readonly eventTime: number;
  readonly value: V;
  /** The bound it missed: windows ending at or before it were closed. */
  readonly closedThrough: number;
}

export interface AddResult<V, A> {
  /** Windows this record's event time closed, oldest first. */
  readonly closed: ClosedWindow<A>[];
  /** Set when the record was rejected as late, so the caller can dead-letter or count it. */
  readonly late: LateRecord<V> | undefined;
}

/** More windows per record than this is a unit mistake (seconds for ms), not a useful hopping window. */
const MAX_WINDOWS_PER_RECORD = 10_000;

function checkMs(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new StateError(
      StateErrorCodes.INVALID_ARGUMENT,
      `window ${name} must be an integer number of ms >= ${min}, got ${String(value)}`,
    );
  }
}

/** The starts of the windows containing `eventTime`, ascending; windows are aligned to the epoch. */
export function windowStarts(eventTime: number, size: number, advance: number): number[] {
  const starts: number[] = [];
  for (
    let start = eventTime - (eventTime % advance);
    start > eventTime - size && start >= 0;
    start -= advance
  )
    starts.push(start);
  return starts.reverse();
}

/**
 * Aggregates values per key over event-time windows. The watermark is the highest event time
 * seen minus `grace`; a window closes (and is returned, once) when the watermark reaches its
 * end. A record is folded into each of its windows still open; one whose windows have all
 * closed is rejected as late. With hopping windows a record may be in time for its newer
 * windows but not its older ones: it is folded into the newer ones and not counted as late,
 * since the older results were already emitted without it.
 */
export class EventTimeWindows<V, A> {
  readonly size: number;
  readonly advance: number;
  readonly grace: number;
  readonly #aggregate: (acc: A | undefined, value: V) => A;
  /** Open windows by start, then key in the order keys first appeared in the window. */
  readonly #open = new Map<number, Map<string, A>>();
  /** Starts of open windows, ascending, so that closing takes them from the front. */
  #starts: number[] = [];
  #maxEventTime: number | undefined;
  /** Every window ending at or before this has been emitted (by the watermark or a flush). */
  #closedThrough = Number.MIN_SAFE_INTEGER;
  #late = 0;

  constructor(options: WindowOptions<V, A>) {
    this.size = options.size;
    this.advance = options.advance ?? options.size;
    this.grace = options.grace ?? 0;
    checkMs('size', this.size, 1);
    checkMs('advance', this.advance, 1);
    checkMs('grace', this.grace, 0);
    if (this.advance > this.size) {
      throw new StateError(
        StateErrorCodes.INVALID_ARGUMENT,
        `window advance ${this.advance} ms is larger than its size ${this.size} ms, so records between windows would belong to none`,
        { hint: 'use advance <= size (advance = size for tumbling windows)' },
      );
    }
    if (Math.ceil(this.size / this.advance) > MAX_WINDOWS_PER_RECORD) {
      throw new StateError(
        StateErrorCodes.INVALID_ARGUMENT,
        `window size ${this.size} ms over advance ${this.advance} ms puts each record in more than ${MAX_WINDOWS_PER_RECORD} windows`,
        { hint: 'sizes are in ms; check the units' },
      );
    }
    this.#aggregate = options.aggregate;
  }

  /** The highest event time seen minus grace; undefined before the first record. */
  get watermark(): number | undefined {
    return this.#maxEventTime === undefined ? undefined : this.#maxEventTime - this.grace;
  }

  /** Records rejected as late so far. */
  get lateCount(): number {
    return this.#late;
  }

  /** Open (key, window) pairs: what the windows hold in memory. */
  get openCount(): number {
    let n = 0;
    for (const keys of this.#open.values()) n += keys.size;
    return n;
  }

  add(key: string, eventTime: number, value: V): AddResult<V, A> {
    if (!Number.isSafeInteger(eventTime) || eventTime < 0) {
      throw new StateError(
        StateErrorCodes.INVALID_TIME,
        `event time ${String(eventTime)} of key ${JSON.stringify(key)} is not integer ms since the epoch`,
      );
    }
    if (this.#maxEventTime === undefined || eventTime > this.#maxEventTime) this.#maxEventTime = eventTime;
    const bound = this.#bound();
    let folded = false;
    for (const start of windowStarts(eventTime, this.size, this.advance)) {
      if (start + this.size <= bound) continue;
      let keys = this.#open.get(start);
      if (!keys) {
        keys = new Map();
        this.#open.set(start, keys);
        this.#insertStart(start);
      }
      keys.set(key, this.#aggregate(keys.get(key), value));
      folded = true;
    }
    if (!folded) this.#late++;
    return {
      closed: this.#closeThrough(bound),
      late: folded ? undefined : { key, eventTime, value, closedThrough: bound },
    };
  }

  /** Closes every open window, oldest first (at shutdown or the end of input); later records for them are late. */
  flush(): ClosedWindow<A>[] {
    const last = this.#starts.at(-1);
    return last === undefined ? [] : this.#closeThrough(last + this.size);
  }

  /** Windows ending at or before this are closed. */
  #bound(): number {
    const watermark = this.watermark;
    return watermark === undefined ? this.#closedThrough : Math.max(watermark, this.#closedThrough);
  }

  #closeThrough(bound: number): ClosedWindow<A>[] {
    const closed: ClosedWindow<A>[] = [];
    let i = 0;
    for (; i < this.#starts.length && this.#starts[i]! + this.size <= bound; i++) {
      const start = this.#starts[i]!;
      const end = start + this.size;
      for (const [key, result] of this.#open.get(start)!) closed.push({ key, start, end, result });
      this.#open.delete(start);
    }
    if (i > 0) this.#starts = this.#starts.slice(i);
    if (bound > this.#closedThrough) this.#closedThrough = bound;
    return closed;
  }

  #insertStart(start: number): void {
    let i = this.#starts.length;
    while (i > 0 && this.#starts[i - 1]! > start) i--;
    this.#starts.splice(i, 0, start);
  }
}
