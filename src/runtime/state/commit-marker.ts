// Commit markers in store changelogs: a state partition's state and the input positions it reflects, committed together.

import { type BusRecord } from '../../bus/types.ts';

/**
 * The key of a commit marker. It starts with byte 0xFF, which no UTF-8 text contains, and store
 * keys are strings written as UTF-8 (a lone surrogate becomes EF BF BD), so no store key can
 * ever equal it. Compaction keeps the latest marker of each changelog partition.
 */
export const COMMIT_MARKER_KEY: Buffer = Buffer.concat([
  Buffer.from([0xff]),
  Buffer.from('streamforge.commit'),
]);

/** Input topic -> the next offset of its partition p: what the state of partition p reflects. */
export type InputPositions = ReadonlyMap<string, number>;

export function isCommitMarker(key: Buffer | null): boolean {
  return key !== null && key.equals(COMMIT_MARKER_KEY);
}

/**
 * A marker's value: `{"inputs":{"<topic>":<next offset>}}`. Empty inputs (written by a rewind of
 * the changelog) say the state reflects no position of its own: the inputs resume at the group's
 * committed offsets.
 */
export function encodeCommitMarker(positions: InputPositions): Buffer {
  return Buffer.from(JSON.stringify({ inputs: Object.fromEntries(positions) }), 'utf8');
}

export function decodeCommitMarker(value: Buffer | null): Map<string, number> {
  const parsed = value === null ? null : (JSON.parse(value.toString('utf8')) as unknown);
  const inputs = (parsed as { inputs?: unknown } | null)?.inputs;
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs))
    throw new Error('a commit marker without an inputs object');
  const out = new Map<string, number>();
  for (const [topic, offset] of Object.entries(inputs)) {
    if (!Number.isSafeInteger(offset) || (offset as number) < 0)
      throw new Error(`a commit marker with offset ${JSON.stringify(offset)} for ${topic}`);
    out.set(topic, offset as number);
  }
  return out;
}

/** Whether marker `a` is behind `b`: each is one batch's cumulative positions, so they are ordered. */
function behind(a: InputPositions, b: InputPositions): boolean {
  let sumA = 0;
  let sumB = 0;
  for (const offset of a.values()) sumA += offset;
  for (const offset of b.values()) sumB += offset;
  return sumA < sumB;
}

function samePositions(a: InputPositions | null, b: InputPositions): boolean {
  if (a === null || a.size !== b.size) return false;
  for (const [topic, offset] of b) if (a.get(topic) !== offset) return false;
  return true;
}

/**
 * Reads one changelog partition of one store during a restore and applies only what a commit
 * marker closed. Records after the last marker are an unfinished batch (its inputs are replayed)
 * and are dropped. The batch before the last marker is held back until `finish`, because the
 * stores of one state partition may disagree by one batch (a crash while its markers were being
 * written): the partition then restores every store to the earlier one.
 */
export class MarkedChangelog {
  readonly #apply: (record: BusRecord) => void;
  /** Closed by `last`, not applied yet. */
  #held: BusRecord[] = [];
  /** After `last`: unfinished unless no marker ever comes. */
  #tail: BusRecord[] = [];
  #previous: InputPositions | null = null;
  #last: InputPositions | null = null;

  constructor(apply: (record: BusRecord) => void) {
    this.#apply = apply;
  }

  /** The positions of the last marker read, or null when the changelog has none. */
  get last(): InputPositions | null {
    return this.#last;
  }

  read(record: BusRecord): void {
    if (!isCommitMarker(record.key)) {
      this.#tail.push(record);
      return;
    }
    const positions = decodeCommitMarker(record.value);
    for (const r of this.#held) this.#apply(r);
    this.#held = this.#tail;
    this.#tail = [];
    this.#previous = this.#last;
    this.#last = positions;
  }

  /**
   * Applies what the partition's restore point `at` (the earliest last marker of its stores)
   * covers and returns the records it dropped. Without any marker (a changelog written before
   * markers existed) everything is applied, as it always was.
   */
  finish(at: InputPositions | null): BusRecord[] {
    if (this.#last === null) {
      for (const r of this.#tail) this.#apply(r);
      this.#tail = [];
      return [];
    }
    const dropped = this.#tail;
    // One batch ahead of another store of the partition, with the marker before it still on
    // the log: that batch is dropped as well. When compaction has removed that marker, the batch
    // stays (it cannot be told apart from older state) and is replayed over it.
    if (at !== null && !samePositions(this.#last, at) && samePositions(this.#previous, at))
      dropped.unshift(...this.#held);
    else for (const r of this.#held) this.#apply(r);
    this.#held = [];
    this.#tail = [];
    return dropped;
  }
}

/** The restore point of a state partition: the earliest last marker of its stores (null: none has one). */
export function restorePoint(lasts: readonly (InputPositions | null)[]): InputPositions | null {
  let point: InputPositions | null = null;
  for (const last of lasts) if (last !== null && (point === null || behind(last, point))) point = last;
  return point;
}
