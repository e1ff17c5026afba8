// Header names and meanings of raw exchange frames on `md.raw.<exchange>`.

import { type HeaderSpec } from './product.ts';

export const RawHeaders = {
  /** Local receive time of the frame, integer ms since the epoch. */
  RECEIVE_TIME: 'sf-receive-time',
  /** The loader's id for the WebSocket connection (or REST request) the frame came on. */
  CONNECTION_ID: 'sf-connection-id',
  /** 0, 1, 2, ... per connection in receive order: restores the exact order across partitions. */
  CONNECTION_SEQ: 'sf-connection-seq',
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
];
