// Opens the bus named by the global --bus option (or STREAMFORGE_BUS) for one command.

import { type Command } from 'commander';
import { openBus } from '../../bus/open.ts';
import { type Bus } from '../../bus/types.ts';

export async function withBus<T>(command: Command, fn: (bus: Bus) => Promise<T>): Promise<T> {
  const uri = command.optsWithGlobals<{ bus: string }>().bus;
  const bus = await openBus(uri);
  try {
    return await fn(bus);
  } finally {
    await bus.close();
  }
}
