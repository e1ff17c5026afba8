// Kraken v1 order book checksum: unsigned CRC32 over the top 10 asks then the top 10 bids, digits only.

import { crc32 } from 'node:zlib';
import { type PriceLevel } from '../../contracts/schema/primitives.ts';

/** Kraken hashes this many levels per side. */
export const KRAKEN_CHECKSUM_DEPTH = 10;

// "0.05005000" -> "5005000": the decimal point goes, then the leading zeros.
function digits(value: string): string {
  const dot = value.indexOf('.');
  const joined = dot < 0 ? value : value.slice(0, dot) + value.slice(dot + 1);
  let start = 0;
  while (start < joined.length && joined.charCodeAt(start) === 48) start++;
  return joined.slice(start);
}

function side(levels: readonly PriceLevel[]): string {
  let out = '';
  const n = Math.min(levels.length, KRAKEN_CHECKSUM_DEPTH);
  for (let i = 0; i < n; i++) out += digits(levels[i]![0]) + digits(levels[i]![1]);
  return out;
}

/**
 * For each of the top 10 asks (lowest first), then the top 10 bids (highest first): price and
 * volume with the '.' removed and leading zeros stripped, concatenated; CRC32 as an unsigned
 * 32-bit integer (Kraken sends it as decimal text). The book must hold exactly what Kraken keeps:
 * truncated to the subscribed depth after every update, with the text as received.
 */
export function krakenChecksum(bids: readonly PriceLevel[], asks: readonly PriceLevel[]): number {
  return crc32(side(asks) + side(bids));
}
