// Parses hftbacktest collector lines (`<local_receive_ns> <raw json>`): Binance combined-stream frames and REST depth snapshots.

import path from 'node:path';
import { CaptureError, CaptureErrorCodes } from '../errors.ts';
import { type CaptureFrame, type LineParser, NO_FRAMES } from './frame.ts';
import { nanosTextToTimes } from './time.ts';

export const HFTBACKTEST_LINE = /^(\d+) /;
// The symbol part of a combined-stream name, read without parsing the frame: `"stream":"btcusdt@depth@100ms"`.
const STREAM_SYMBOL = /"stream"\s*:\s*"([^"@]+)@/;
// hftbacktest names files `<symbol>_<yyyymmdd>` or `<market>_<symbol>_<yyyymmdd>` (`spot_btcusdt_20240808.gz`).
const FILE_SYMBOL = /^(?:[a-z]+_)?([a-z0-9]+)_\d{8}(?:\.|$)/i;

interface PendingSnapshot {
  readonly receivedAt: number;
  readonly receivedAtNs: bigint;
  readonly body: string;
  /** Binance futures' REST depth answer carries `E`/`T`; spot's does not. */
  readonly futures: boolean;
  readonly line: number;
}

/**
 * The collector writes the REST depth snapshot as a bare body, without the request, so its
 * symbol is taken from the neighbouring WebSocket frames: the collector writes one file per
 * symbol and fetches the snapshot for the stream it is recording. The snapshot is held back
 * until the next frame with a stream name; when the frames before and after it name different
 * symbols the file is not one symbol's and the snapshot cannot be attributed, which is an
 * error. A file with no named stream at all falls back to the symbol in the file name.
 */
export class HftbacktestParser implements LineParser {
  readonly #file: string;
  #previousSymbol: string | undefined;
  /** Snapshots waiting for their symbol, and the frames after them that name none, in file order. */
  #held: (PendingSnapshot | CaptureFrame)[] = [];

  constructor(file: string) {
    this.#file = file;
  }

  line(text: string, number: number): readonly CaptureFrame[] {
    if (text.length === 0) return NO_FRAMES;
    const m = HFTBACKTEST_LINE.exec(text);
    if (!m) throw this.#error(CaptureErrorCodes.BAD_LINE, number, 'expected `<local_receive_ns> <raw json>`');
    const { ms, ns } = nanosTextToTimes(m[1]!);
    const body = text.slice(m[0].length);
    if (!body.includes('"stream"')) {
      this.#held.push({
        receivedAt: ms,
        receivedAtNs: ns,
        body,
        futures: this.#checkSnapshot(body, number),
        line: number,
      });
      return NO_FRAMES;
    }
    const frame: CaptureFrame = { receivedAt: ms, receivedAtNs: ns, kind: 'ws', source: '', body };
    const symbol = STREAM_SYMBOL.exec(body)?.[1];
    if (this.#held.length === 0) {
      if (symbol !== undefined) this.#previousSymbol = symbol;
      return [frame];
    }
    if (symbol === undefined) {
      this.#held.push(frame);
      return NO_FRAMES;
    }
    const out = this.#flush(symbol);
    out.push(frame);
    this.#previousSymbol = symbol;
    return out;
  }

  end(): readonly CaptureFrame[] {
    return this.#held.length === 0 ? NO_FRAMES : this.#flush(undefined);
  }

  #flush(nextSymbol: string | undefined): CaptureFrame[] {
    const out = this.#held.map((h) => ('kind' in h ? h : this.#snapshotFrame(h, nextSymbol)));
    this.#held = [];
    return out;
  }

  #snapshotFrame(p: PendingSnapshot, nextSymbol: string | undefined): CaptureFrame {
    const previous = this.#previousSymbol;
    if (previous !== undefined && nextSymbol !== undefined && previous !== nextSymbol)
      throw this.#error(
        CaptureErrorCodes.BAD_FRAME,
        p.line,
        `the REST depth snapshot lies between frames of ${previous} and ${nextSymbol}: cannot tell its symbol`,
      );
    const symbol = previous ?? nextSymbol ?? FILE_SYMBOL.exec(path.basename(this.#file))?.[1];
    if (symbol === undefined)
      throw this.#error(
        CaptureErrorCodes.BAD_FRAME,
        p.line,
        'no stream frame and no symbol in the file name to tell the REST depth snapshot symbol',
      );
    const endpoint = p.futures ? '/fapi/v1/depth' : '/api/v3/depth';
    return {
      receivedAt: p.receivedAt,
      receivedAtNs: p.receivedAtNs,
      kind: 'rest',
      source: `${endpoint}?symbol=${symbol.toUpperCase()}&limit=1000`,
      body: p.body,
    };
  }

  /** The one line without a stream name must be a depth snapshot; anything else is not silently passed on. */
  #checkSnapshot(body: string, number: number): boolean {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw this.#error(CaptureErrorCodes.BAD_LINE, number, 'the text after the receive time is not JSON');
    }
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      !('lastUpdateId' in parsed) ||
      !('bids' in parsed) ||
      !('asks' in parsed)
    )
      throw this.#error(
        CaptureErrorCodes.BAD_LINE,
        number,
        'neither a combined-stream frame ("stream") nor a REST depth snapshot ("lastUpdateId", "bids", "asks")',
      );
    return 'E' in parsed;
  }

  #error(code: (typeof CaptureErrorCodes)[keyof typeof CaptureErrorCodes], line: number, message: string) {
    return new CaptureError(code, this.#file, line, message);
  }
}
