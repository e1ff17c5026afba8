// Finds free TCP ports on 127.0.0.1 and tells whether a given one is taken.

import net from 'node:net';
import { HOST } from './config.ts';

function listen(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ port, host: HOST, exclusive: true }, () => resolve(server));
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function isPortFree(port: number): Promise<boolean> {
  const server = await listen(port);
  if (!server) return false;
  await close(server);
  return true;
}

/**
 * `count` distinct free ports chosen by the OS. All are held open until every one is chosen, so they
 * differ; another process may still grab one before the broker binds it (the start then fails clearly).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = await listen(0);
      if (!server) throw new Error(`could not bind a free port on ${HOST}`);
      servers.push(server);
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map(close));
  }
}
