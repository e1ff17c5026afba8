// Real Binance BTCUSDT book deltas (snapshot and diffs) from the hftbacktest capture, through the venue mapper.

import path from 'node:path';
import { type BookDelta } from '../../src/contracts/schema/book.ts';
import { captureEvents } from '../../src/venues/capture/events.ts';

const FILE = path.resolve(
  import.meta.dirname,
  '../../../shared/data/market/binance-spot-hftbacktest/spot_btcusdt_20240808.gz',
);

let cached: Promise<{ deltas: BookDelta[] }> | undefined;

/** The 0808 file's snapshot and diffs, in capture order (read once per process). */
export function btcusdtDeltas(): Promise<{ deltas: BookDelta[] }> {
  cached ??= captureEvents(FILE).then(({ events }) => ({
    deltas: events.flatMap((e) => (e.type === 'book' ? [e.value] : [])),
  }));
  return cached;
}
