// Publishes recorded captures into `md.raw.<exchange>` exactly as the live loader would have, recorded receive times included.

import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Bus, type ProduceRecord } from '../../bus/types.ts';
import { type BytesProduct, encodeBytes, type ProducerIdentity, rawTopics } from '../../contracts/index.ts';
import { type Exchange } from '../../contracts/schema/primitives.ts';
import { ensureTopics } from '../../runtime/index.ts';
import { type CaptureFrame, detectVenue, readCapture, toRawFrame } from '../../venues/capture/index.ts';
import { mapperFor } from '../../venues/mappers.ts';
import { rawHeaders, rawKey } from '../../venues/raw-record.ts';

export interface ReplayOptions {
  /** The venue of every file; detected from each file's frames when absent. */
  readonly venue?: Exchange;
  /** Another topic than `md.raw.<exchange>` (tests on a shared broker). */
  readonly product?: BytesProduct;
  /** 'max' sends as fast as the bus takes them; N replays N times faster than recorded. */
  readonly speed?: number | 'max';
  /** Called about once a second and at the end of each file. */
  readonly onProgress?: (progress: ReplayProgress) => void;
  readonly signal?: AbortSignal;
}

export interface ReplayProgress {
  readonly file: string;
  readonly exchange: Exchange;
  readonly frames: number;
  readonly done: boolean;
}

export interface ReplayResult {
  readonly file: string;
  readonly exchange: Exchange;
  readonly topic: string;
  readonly frames: number;
}

/** Frames read before the venue is decided; the first frames of a capture tell it. */
const DETECT_FRAMES = 50;
/** Records per sendBatch, and the most awaiting acknowledgement (bounds memory on any file size). */
const BATCH = 2000;

const IDENTITY: ProducerIdentity = { service: 'replay', instance: `replay-${process.pid}` };

/**
 * Replays each file in turn. Every frame keeps its recorded receive time; its connection is
 * `replay:<file name>` and its sequence the frame's position in the file, so the order of
 * frames across partitions can be restored as for live ones.
 */
export async function replayCaptures(
  bus: Bus,
  files: readonly string[],
  options: ReplayOptions = {},
): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for (const file of files) {
    if (options.signal?.aborted) break;
    results.push(await replayFile(bus, file, options));
  }
  return results;
}

async function replayFile(bus: Bus, file: string, options: ReplayOptions): Promise<ReplayResult> {
  const frames = readCapture(file)[Symbol.asyncIterator]();
  const head: CaptureFrame[] = [];
  while (head.length < DETECT_FRAMES) {
    const next = await frames.next();
    if (next.done) break;
    head.push(next.value);
  }
  const exchange = options.venue ?? detectVenue(file, head);
  const product = options.product ?? rawTopics[exchange];
  await ensureTopics(bus, [product]);
  const mapper = mapperFor(exchange);
  const connectionId = `replay:${path.basename(file)}`;
  const producer = bus.producer({ clientId: 'streamforge-replay' });
  const speed = options.speed ?? 'max';
  let count = 0;
  let batch: ProduceRecord[] = [];
  let inFlight: Promise<unknown> = Promise.resolve();
  let firstRecorded: number | undefined;
  let firstWall = 0;
  let lastReport = Date.now();
  const flush = async (): Promise<void> => {
    const records = batch;
    batch = [];
    // One batch in flight while the next is built: order is kept, memory is bounded.
    await inFlight;
    inFlight = records.length > 0 ? producer.sendBatch(records) : Promise.resolve();
  };
  try {
    const all = (async function* () {
      yield* head;
      for (;;) {
        const next = await frames.next();
        if (next.done) return;
        yield next.value;
      }
    })();
    for await (const captured of all) {
      if (options.signal?.aborted) break;
      if (speed !== 'max') {
        firstRecorded ??= captured.receivedAt;
        if (count === 0) firstWall = Date.now();
        const due = firstWall + (captured.receivedAt - firstRecorded) / speed;
        const wait = due - Date.now();
        if (wait > 1) {
          await flush();
          await sleep(wait);
        }
      }
      const frame = toRawFrame(captured, exchange, connectionId, count);
      batch.push(
        encodeBytes(product, Buffer.from(frame.body), rawKey(mapper, frame), rawHeaders(frame), IDENTITY),
      );
      count++;
      if (batch.length >= BATCH) await flush();
      if (Date.now() - lastReport >= 1000) {
        lastReport = Date.now();
        options.onProgress?.({ file, exchange, frames: count, done: false });
      }
    }
    await flush();
    await inFlight;
  } finally {
    await producer.close();
  }
  options.onProgress?.({ file, exchange, frames: count, done: true });
  return { file, exchange, topic: product.topic, frames: count };
}
