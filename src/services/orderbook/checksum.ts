// Venue book checksums the order book verifies after each update that carries one.

import { type PriceLevel } from '../../contracts/schema/primitives.ts';
import { type Exchange, Exchanges } from '../../contracts/schema/primitives.ts';
import { KRAKEN_CHECKSUM_DEPTH, krakenChecksum } from '../../venues/kraken/checksum.ts';
import { OKX_CHECKSUM_DEPTH, okxChecksum } from '../../venues/okx/checksum.ts';

export interface BookChecksum {
  /** Levels per side the checksum covers. */
  readonly depth: number;
  readonly compute: (bids: readonly PriceLevel[], asks: readonly PriceLevel[]) => number;
  /**
   * The venue keeps (and checksums) its book truncated to the subscribed depth and sends no
   * delete for a level pushed out of it: the rebuilt book must be cut the same way.
   */
  readonly truncatesToSnapshotDepth: boolean;
}

export function checksumOf(exchange: Exchange): BookChecksum | undefined {
  switch (exchange) {
    case Exchanges.OKX:
      return { depth: OKX_CHECKSUM_DEPTH, compute: okxChecksum, truncatesToSnapshotDepth: false };
    case Exchanges.KRAKEN:
      return { depth: KRAKEN_CHECKSUM_DEPTH, compute: krakenChecksum, truncatesToSnapshotDepth: true };
    default:
      return undefined;
  }
}
