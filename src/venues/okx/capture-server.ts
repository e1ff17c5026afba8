// A local OKX v5 public WebSocket server that replays a recorded OKX capture, byte for byte, for tests and demos.

import { randomBytes } from 'node:crypto';
import { type AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { readCapture } from '../capture/index.ts';
import { argKey } from './feed-args.ts';
import { type OkxArg } from './raw-types.ts';

export interface OkxCaptureServerOptions {
  /** 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** An OKX capture (cryptofeed OKX.ws.*), read with readCapture. */
  readonly capture: string;
  /** 1 = the recorded pace, 10 = ten times faster; Infinity (default) = as fast as the socket takes them. */
  readonly speed?: number;
  /** Close a connection after this long without a frame either way, as OKX does after 30 s; default 30 s. */
  readonly idleTimeoutMs?: number;
}

export interface OkxCaptureServer {
  /** ws://host:port/ws/v5/public */
  readonly wsUrl: string;
  /** Open client connections. */
  readonly connections: number;
  /** Cuts every client connection without a close frame, like a network failure; returns how many. */
  dropConnections(): number;
  close(): Promise<void>;
}

/** One recorded push and the pair it belongs to. */
interface Push {
  readonly key: string;
  readonly receivedAt: number;
  readonly body: string;
}

/** One subscribe request's new pairs, replayed from the start of the capture on their own clock. */
interface Run {
  readonly keys: ReadonlySet<string>;
  readonly startedAt: number;
  readonly baseAt: number;
  index: number;
  timer?: NodeJS.Timeout | NodeJS.Immediate;
}

interface Client {
  readonly ws: WebSocket;
  readonly connId: string;
  /** Subscribed pair -> the run that delivers it; a pair subscribed again gets a new run (and a fresh snapshot). */
  readonly subscribed: Map<string, Run>;
  readonly runs: Set<Run>;
  lastTrafficAt: number;
}

const PATH = '/ws/v5/public';
// Channels OKX's public endpoint serves; others are answered with 60018 like an unknown instId.
const PUBLIC_CHANNELS =
  /^(?:trades|books|books5|bbo-tbt|books-l2-tbt|books50-l2-tbt|tickers|(?:mark-price-|index-)?candle\w+)$/;
// How many frames go out at full speed before the event loop gets a turn (pings, other clients).
const BURST = 100;
// Above this much unsent data the replay waits for the socket to drain.
const HIGH_WATER = 4 * 1024 * 1024;

async function loadPushes(file: string): Promise<{ pushes: Push[]; instIds: Set<string> }> {
  const pushes: Push[] = [];
  const instIds = new Set<string>();
  for await (const frame of readCapture(file)) {
    if (frame.kind !== 'ws' || frame.body === 'pong') continue;
    const json = JSON.parse(frame.body) as { readonly arg?: OkxArg; readonly event?: string };
    if (!json.arg || typeof json.arg.instId !== 'string') continue;
    instIds.add(json.arg.instId);
    // The recorder's own subscribe answers are not replayed: the server answers each request itself.
    if (json.event !== undefined) continue;
    pushes.push({ key: argKey(json.arg), receivedAt: frame.receivedAt, body: frame.body });
  }
  return { pushes, instIds };
}

/**
 * Speaks the subset of OKX's public endpoint a market-data client uses: `op` subscribe and
 * unsubscribe answered per arg (`{"event":"subscribe","arg":...,"connId":...}`, or error 60018
 * for an instrument the capture does not know), the text `ping` answered with `pong`, and the
 * capture's pushes for the subscribed pairs, each exactly as recorded.
 */
export async function startOkxCaptureServer(options: OkxCaptureServerOptions): Promise<OkxCaptureServer> {
  const { pushes, instIds } = await loadPushes(options.capture);
  const speed = options.speed ?? Number.POSITIVE_INFINITY;
  if (!(speed > 0)) throw new RangeError(`speed must be > 0, got ${speed}`);
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const clients = new Set<Client>();
  const wss = new WebSocketServer({
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    path: PATH,
    perMessageDeflate: false,
  });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });

  const send = (client: Client, text: string): void => {
    if (client.ws.readyState !== WebSocket.OPEN) return;
    client.lastTrafficAt = Date.now();
    client.ws.send(text);
  };

  const stopRun = (client: Client, run: Run): void => {
    if (run.timer) {
      clearTimeout(run.timer as NodeJS.Timeout);
      clearImmediate(run.timer as NodeJS.Immediate);
    }
    client.runs.delete(run);
  };

  const step = (client: Client, run: Run): void => {
    run.timer = undefined;
    let burst = 0;
    while (run.index < pushes.length) {
      if (client.ws.readyState !== WebSocket.OPEN) return stopRun(client, run);
      const push = pushes[run.index]!;
      if (client.subscribed.get(push.key) !== run) {
        run.index++;
        continue;
      }
      if (Number.isFinite(speed)) {
        const due = run.startedAt + (push.receivedAt - run.baseAt) / speed;
        const wait = due - Date.now();
        if (wait > 0) {
          run.timer = setTimeout(() => step(client, run), wait);
          return;
        }
      } else if (burst >= BURST || client.ws.bufferedAmount > HIGH_WATER) {
        run.timer =
          client.ws.bufferedAmount > HIGH_WATER
            ? setTimeout(() => step(client, run), 5)
            : setImmediate(() => step(client, run));
        return;
      }
      send(client, push.body);
      run.index++;
      burst++;
    }
    stopRun(client, run);
  };

  const startRun = (client: Client, keys: ReadonlySet<string>): void => {
    const first = pushes.find((p) => keys.has(p.key));
    const run: Run = { keys, startedAt: Date.now(), baseAt: first?.receivedAt ?? 0, index: 0 };
    for (const k of keys) client.subscribed.set(k, run);
    client.runs.add(run);
    // After the answers to the request have gone out, as on OKX.
    run.timer = setImmediate(() => step(client, run));
  };

  const error = (client: Client, code: string, msg: string): void =>
    send(client, JSON.stringify({ event: 'error', code, msg, connId: client.connId }));

  const onRequest = (client: Client, text: string): void => {
    if (text === 'ping') return send(client, 'pong');
    let request: { readonly op?: unknown; readonly args?: unknown };
    try {
      request = JSON.parse(text) as typeof request;
    } catch {
      return error(client, '60012', `Invalid request: ${text}`);
    }
    const { op, args } = request ?? {};
    if ((op !== 'subscribe' && op !== 'unsubscribe') || !Array.isArray(args) || args.length === 0) {
      return error(client, '60012', `Invalid request: ${text}`);
    }
    const fresh = new Set<string>();
    for (const a of args as unknown[]) {
      const arg = (typeof a === 'object' && a !== null ? a : {}) as Partial<OkxArg>;
      const { channel, instId } = arg;
      if (typeof channel !== 'string' || typeof instId !== 'string') {
        error(client, '60012', `Invalid request: ${text}`);
        continue;
      }
      if (!PUBLIC_CHANNELS.test(channel) || !instIds.has(instId)) {
        error(
          client,
          '60018',
          `Wrong URL or channel:${channel},instId:${instId} doesn't exist. Please use the correct URL, channel and parameters referring to API document.`,
        );
        continue;
      }
      const key = argKey({ channel, instId });
      send(client, JSON.stringify({ event: op, arg: { channel, instId }, connId: client.connId }));
      if (op === 'subscribe') {
        if (!client.subscribed.has(key)) fresh.add(key);
      } else {
        client.subscribed.delete(key);
      }
    }
    if (fresh.size > 0) startRun(client, fresh);
  };

  wss.on('connection', (ws) => {
    const client: Client = {
      ws,
      connId: randomBytes(4).toString('hex'),
      subscribed: new Map(),
      runs: new Set(),
      lastTrafficAt: Date.now(),
    };
    clients.add(client);
    const idle = setInterval(
      () => {
        if (Date.now() - client.lastTrafficAt >= idleTimeoutMs) ws.close(4000, 'idle timeout');
      },
      Math.max(10, Math.floor(idleTimeoutMs / 10)),
    );
    ws.on('message', (data: Buffer) => {
      client.lastTrafficAt = Date.now();
      onRequest(client, data.toString('utf8'));
    });
    ws.on('close', () => {
      clearInterval(idle);
      for (const run of [...client.runs]) stopRun(client, run);
      clients.delete(client);
    });
    ws.on('error', () => ws.terminate());
  });

  const address = wss.address() as AddressInfo;
  return {
    wsUrl: `ws://${address.address}:${address.port}${PATH}`,
    get connections() {
      return clients.size;
    },
    dropConnections() {
      const n = clients.size;
      for (const c of clients) c.ws.terminate();
      return n;
    },
    close() {
      for (const c of clients) c.ws.terminate();
      return new Promise<void>((resolve, reject) => wss.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
