// What `ctx.emit` sends: the product's record for a value, with the emit options (key, partition, timestamp) applied.

import { type ProduceRecord } from '../bus/types.ts';
import { encode, type EncodeOptions, type JsonProduct, type ProducerIdentity } from '../contracts/index.ts';
import { type EmitOptions } from './service.ts';

/**
 * Encodes (and validates) `value`; `traceparent` continues a trace, a new one starts without it.
 * The common case, no options, builds no extra object.
 */
export function emitRecord<T>(
  product: JsonProduct<T>,
  value: T,
  identity: ProducerIdentity,
  options: EmitOptions | undefined,
  traceparent?: string,
): ProduceRecord {
  const encodeOptions: EncodeOptions =
    options?.timestamp === undefined
      ? traceparent === undefined
        ? {}
        : { traceparent }
      : traceparent === undefined
        ? { timestamp: options.timestamp }
        : { traceparent, timestamp: options.timestamp };
  const record = encode(product, value, identity, encodeOptions);
  if (options?.key === undefined && options?.partition === undefined) return record;
  return {
    ...record,
    ...(options.key === undefined ? {} : { key: options.key }),
    ...(options.partition === undefined ? {} : { partition: options.partition }),
  };
}
