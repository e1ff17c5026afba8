// OKX order book checksum: signed CRC32 over the top 25 bids and asks, interleaved, as the exchange's text.

import { crc32 } from 'node:zlib';
import { type PriceLevel } from '../../contracts/schema/primitives.ts';

/** OKX hashes this many levels per side. */
export const OKX_CHECKSUM_DEPTH = 25;

/**
 * `bid1.price:bid1.size:ask1.price:ask1.size:bid2...` over the top 25 of each side (a side that
 * runs out simply stops contributing), CRC32, read as a signed 32-bit integer as OKX sends it.
 * Levels are best first, with the price and size text exactly as received: "30216.1" and
 * "30216.10" hash differently, so the text must never be re-formatted.
 */
export function okxChecksum(bids: readonly PriceLevel[], asks: readonly PriceLevel[]): number {
  const parts: string[] = [];
  for (let i = 0; i < OKX_CHECKSUM_DEPTH; i++) {
    const bid = bids[i];
    const ask = asks[i];
    if (bid === undefined && ask === undefined) break;
    if (bid !== undefined) parts.push(bid[0], bid[1]);
    if (ask !== undefined) parts.push(ask[0], ask[1]);
  }
  return crc32(parts.join(':')) | 0;
}
