// The frame a capture reader yields: one recorded WebSocket message or REST body with its receive time.

import { type Exchange } from '../../contracts/schema/primitives.ts';
import { type RawFrame } from '../types.ts';

export interface CaptureFrame {
  /** Local receive time, integer ms since the epoch (floor of the recorded time). */
  readonly receivedAt: number;
  /** Local receive time in ns, when the recorder wrote ns (hftbacktest); cryptofeed's float seconds have no ns. */
  readonly receivedAtNs?: bigint;
  readonly kind: 'ws' | 'rest';
  /**
   * `rest`: the request path and query the body answers (`/api/v3/depth?symbol=BTCUSDT&limit=1000`).
   * `ws`: the connection URL when the file names it, else ''.
   */
  readonly source: string;
  /** The frame text exactly as in the file. */
  readonly body: string;
}

/** Turns a file's lines into frames; `end` flushes frames held back waiting for a later line. */
export interface LineParser {
  line(text: string, number: number): readonly CaptureFrame[];
  end(): readonly CaptureFrame[];
}

export const NO_FRAMES: readonly CaptureFrame[] = [];

/** A capture frame as the loader would have written it to `md.raw.<exchange>`, for replay and mapping. */
export function toRawFrame(
  frame: CaptureFrame,
  exchange: Exchange,
  connectionId: string,
  connectionSeq: number,
): RawFrame {
  return {
    exchange,
    kind: frame.kind,
    source: frame.source,
    receivedAt: frame.receivedAt,
    connectionId,
    connectionSeq,
    body: encoder.encode(frame.body),
  };
}

const encoder = new TextEncoder();
