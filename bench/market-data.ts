// Real market data for benchmarks: normalized events made from the shared captures by the venue mappers.

import path from 'node:path';
import { type BookDelta } from '../src/contracts/schema/book.ts';
import { captureEvents } from '../src/venues/capture/events.ts';

export const MARKET = path.resolve(import.meta.dirname, '../../shared/data/market');

/** BTCUSDT's snapshot and every diff of the two-file hftbacktest capture, in order. */
export async function btcusdtDeltas(): Promise<BookDelta[]> {
  const deltas: BookDelta[] = [];
  for (const day of ['20240808', '20240809']) {
    const { events } = await captureEvents(
      path.join(MARKET, `binance-spot-hftbacktest/spot_btcusdt_${day}.gz`),
    );
    for (const e of events) if (e.type === 'book') deltas.push(e.value);
  }
  return deltas;
}
