// How a raw frame is keyed and labelled on `md.raw.<exchange>`: one rule for the loader and for replays.

import { RawHeaders } from '../contracts/raw-headers.ts';
import { type VenueMapper } from './venue.ts';
import { type RawFrame } from './types.ts';

/**
 * `exchange:symbol` for a frame about one instrument (so it lands with the instrument's other
 * frames, in order), `exchange:conn:<connection id>` for the rest (acks, heartbeats, markers,
 * exchangeInfo), which then stay in their connection's order.
 */
export function rawKey(mapper: VenueMapper, frame: RawFrame): string {
  const symbol = frame.kind === 'marker' ? null : safeSymbol(mapper, frame);
  return symbol === null ? `${frame.exchange}:conn:${frame.connectionId}` : `${frame.exchange}:${symbol}`;
}

/** A frame the mapper cannot read still goes on the log (the parser sends it to the DLQ with the reason). */
function safeSymbol(mapper: VenueMapper, frame: RawFrame): string | null {
  try {
    return mapper.symbolOf(frame);
  } catch {
    return null;
  }
}

export function rawHeaders(frame: RawFrame): Record<string, string> {
  return {
    [RawHeaders.RECEIVE_TIME]: String(frame.receivedAt),
    [RawHeaders.CONNECTION_ID]: frame.connectionId,
    [RawHeaders.CONNECTION_SEQ]: String(frame.connectionSeq),
    [RawHeaders.FRAME_KIND]: frame.kind,
    ...(frame.source === '' ? {} : { [RawHeaders.SOURCE]: frame.source }),
  };
}
