// Turns a record of `md.raw.<exchange>` back into the RawFrame the loader (or a replay) wrote.

import { type DecodedBytes, RawHeaders } from '../../contracts/index.ts';
import { type Exchange } from '../../contracts/schema/primitives.ts';
import { type FrameKind, FrameKinds, type RawFrame } from '../../venues/types.ts';
import { PermanentError } from '../../runtime/index.ts';

const kinds = new Set<string>(Object.values(FrameKinds));

/**
 * The frame with its receive time, connection and source from the headers. The codec has
 * already checked the required headers; a frame kind nobody writes is refused (to the DLQ).
 */
export function rawFrame(exchange: Exchange, decoded: DecodedBytes): RawFrame {
  const h = decoded.headers;
  const kind = h[RawHeaders.FRAME_KIND] ?? FrameKinds.WS;
  if (!kinds.has(kind))
    throw new PermanentError(
      'bad-frame-kind',
      `header ${RawHeaders.FRAME_KIND} is "${kind}"; a raw frame is one of ${[...kinds].join(', ')}`,
    );
  return {
    exchange,
    kind: kind as FrameKind,
    source: h[RawHeaders.SOURCE] ?? '',
    receivedAt: Number(h[RawHeaders.RECEIVE_TIME]),
    connectionId: h[RawHeaders.CONNECTION_ID] ?? '',
    connectionSeq: Number(h[RawHeaders.CONNECTION_SEQ]),
    body: decoded.value,
  };
}
