// Header names and meanings of raw exchange frames on `md.raw.<exchange>`.

import { type HeaderSpec } from './product.ts';

export const RawHeaders = {
  /** Local receive time of the frame, integer ms since the epoch. */
  RECEIVE_TIME: 'sf-receive-time',
  /** The loader's id for the WebSocket connection (or REST request) the frame came on. */
  CONNECTION_ID: 'sf-connection-id',
  /** 0, 1, 2, ... per connection in receive order: restores the exact order across partitions. */
  CONNECTION_SEQ: 'sf-connection-seq',
  /** `ws`, `rest` or `marker` (see src/venues/types.ts); absent means `ws`. */
  FRAME_KIND: 'sf-frame-kind',
  /** For `rest`: the request path and query the body answers; for `ws` and markers: the URL. */
  SOURCE: 'sf-source',
} as const;

export const rawHeaderSpecs: readonly HeaderSpec[] = [
  {
    name: RawHeaders.RECEIVE_TIME,
    meaning: 'local receive time, integer ms since the epoch',
    format: 'int',
    required: true,
  },
  {
    name: RawHeaders.CONNECTION_ID,
    meaning: 'id of the connection (or REST call) the frame came on',
    format: 'text',
    required: true,
  },
  {
    name: RawHeaders.CONNECTION_SEQ,
    meaning: 'position of the frame on its connection, from 0, in receive order',
    format: 'int',
    required: true,
  },
  {
    name: RawHeaders.FRAME_KIND,
    meaning:
      "ws (a WebSocket message), rest (a REST response body) or marker (the loader's connection event); absent means ws",
    format: 'text',
    required: false,
  },
  {
    name: RawHeaders.SOURCE,
    meaning:
      'rest: the request path and query the body answers (/api/v3/depth?symbol=BTCUSDT&limit=1000); ws and marker: the connection URL',
    format: 'text',
    required: false,
  },
];
