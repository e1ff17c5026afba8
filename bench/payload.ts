// Random record values shared by every Node client, so that all of them send the same kind of bytes.

import { randomBytes } from 'node:crypto';

/**
 * A small pool of random values of one size. Kafka's producer-perf-test reuses one random
 * payload for every record; a pool keeps that cost out of the measurement too while not
 * sending one buffer over and over.
 */
export function valuePool(recordSize: number, count = 64): readonly Buffer[] {
  return Array.from({ length: count }, () => randomBytes(recordSize));
}
