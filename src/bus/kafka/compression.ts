// Makes zstd-compressed record batches readable on Node 20, whose zlib has no zstd.

import { compressionsAlgorithms } from '@platformatic/kafka';
import { decompress as zstdDecompress } from 'fzstd';
import zlib from 'node:zlib';

/**
 * Java producers with `compression.type=zstd` are common; without this a Node 20 consumer
 * could not read their batches. Node >= 22.15 has zstd in zlib and keeps the native codec.
 * Producing with zstd still needs a Node whose zlib has it.
 */
export function ensureZstdDecompression(): void {
  const zstd = compressionsAlgorithms.zstd;
  if (typeof (zlib as { zstdDecompressSync?: unknown }).zstdDecompressSync === 'function') return;
  const decompressSync = (data: Buffer | { readonly buffer: Buffer }): Buffer => {
    const out = zstdDecompress(Buffer.isBuffer(data) ? data : data.buffer);
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  };
  // The client types its codec table as readonly; it is a plain object read at each use.
  Object.defineProperty(zstd, 'decompressSync', { value: decompressSync, configurable: true });
}
