// A capture's normalized events: its frames read, its venue detected, each frame mapped by that venue's mapper.

import { type Exchange } from '../../contracts/schema/primitives.ts';
import { mapperFor } from '../mappers.ts';
import { type NormalizedEvent } from '../types.ts';
import { detectVenue } from './detect.ts';
import { type CaptureFrame, toRawFrame } from './frame.ts';
import { readCapture } from './index.ts';

/** Frames the venue is told from. */
const DETECT_FRAMES = 50;

/**
 * Every event the venue's mapper makes of the capture's frames, in file order (a frame it skips
 * gives none; one it refuses throws its FrameError), for tests and benchmarks over real data. The frames' connection is
 * `capture:<file>` and their sequence the position in the file.
 */
export async function captureEvents(
  file: string,
): Promise<{ exchange: Exchange; events: NormalizedEvent[] }> {
  const frames: CaptureFrame[] = [];
  for await (const f of readCapture(file)) frames.push(f);
  const exchange = detectVenue(file, frames.slice(0, DETECT_FRAMES));
  const mapper = mapperFor(exchange);
  const events: NormalizedEvent[] = [];
  frames.forEach((f, i) => {
    for (const e of mapper.map(toRawFrame(f, exchange, `capture:${file}`, i)).events) events.push(e);
  });
  return { exchange, events };
}
