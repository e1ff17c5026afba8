// Opens a bus from its address: `kafka://host:port[,host:port...]` or `embedded:<dir>`.

import path from 'node:path';
import { BusError, BusErrorCodes } from './errors.ts';
import { type Bus } from './types.ts';

export const DEFAULT_BUS_URI = 'embedded:.streamforge/bus';

export type BusAddress =
  | {
      readonly kind: 'kafka';
      readonly brokers: readonly string[];
      readonly options: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'embedded'; readonly dir: string; readonly options: Readonly<Record<string, string>> };

const usage =
  'use kafka://host:port[,host:port...] for Apache Kafka or embedded:<dir> for the local log, e.g. --bus kafka://127.0.0.1:9092';

/** Parses a bus address; options come from a query string (`embedded:./data?fsync=always`). */
export function parseBusUri(uri: string): BusAddress {
  const [base = '', query = ''] = uri.split('?', 2);
  const options = Object.fromEntries(new URLSearchParams(query));
  if (base.startsWith('kafka://')) {
    const brokers = base
      .slice('kafka://'.length)
      .split(',')
      .map((b) => b.trim())
      .filter((b) => b.length > 0);
    if (brokers.length === 0)
      throw new BusError(BusErrorCodes.INVALID_ARGUMENT, `Bus address "${uri}" names no broker`, {
        hint: usage,
      });
    for (const broker of brokers) {
      const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(broker);
      if (!match || Number(match[2]) > 65535) {
        throw new BusError(
          BusErrorCodes.INVALID_ARGUMENT,
          `Broker "${broker}" in bus address "${uri}" is not host:port`,
          { hint: usage },
        );
      }
    }
    return { kind: 'kafka', brokers, options };
  }
  if (base.startsWith('embedded:')) {
    const dir = base.slice('embedded:'.length).replace(/^\/\/(?=\/)/, '');
    if (dir.length === 0)
      throw new BusError(BusErrorCodes.INVALID_ARGUMENT, `Bus address "${uri}" names no directory`, {
        hint: usage,
      });
    return { kind: 'embedded', dir: path.resolve(dir), options };
  }
  throw new BusError(BusErrorCodes.INVALID_ARGUMENT, `Unknown bus address "${uri}"`, { hint: usage });
}

export async function openBus(uri: string = DEFAULT_BUS_URI): Promise<Bus> {
  const address = parseBusUri(uri);
  if (address.kind === 'kafka') {
    const { openKafkaBus } = await import('./kafka/index.ts');
    return openKafkaBus(address.brokers, address.options);
  }
  const { openEmbeddedBus } = await import('./embedded/index.ts');
  return openEmbeddedBus(address.dir, address.options);
}
