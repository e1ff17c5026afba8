// Accepts WebSocket upgrades on Binance's stream paths (/ws, /stream; /fstream/... for USD-M) or refuses them.

import { type IncomingMessage } from 'node:http';
import { type Duplex } from 'node:stream';
import { type WebSocketServer } from 'ws';
import { type MarketKind, MarketKinds } from '../model/instruments.ts';
import { ClientConnection, type ConnectionContext } from './connection.ts';
import { MAX_STREAMS_PER_CONNECTION } from './names.ts';

/** Where a stream URL points: which API, raw or combined, and the streams named in it. */
export interface StreamUrl {
  readonly kind: MarketKind;
  readonly combined: boolean;
  readonly streams: readonly string[];
}

/** Undefined when the path is not a stream path. */
export function parseStreamUrl(rawUrl: string): StreamUrl | undefined {
  const url = new URL(rawUrl, 'ws://simulator');
  let path = url.pathname;
  let kind: MarketKind = MarketKinds.SPOT;
  if (path === '/fstream' || path.startsWith('/fstream/')) {
    kind = MarketKinds.FUTURES;
    path = path.slice('/fstream'.length);
  }
  if (path === '/ws' || path.startsWith('/ws/'))
    return { kind, combined: false, streams: decodeURIComponent(path.slice(3)).split('/').filter(Boolean) };
  if (path === '/stream' || path === '/stream/')
    return {
      kind,
      combined: true,
      streams: (url.searchParams.get('streams') ?? '').split('/').filter(Boolean),
    };
  return undefined;
}

function refuse(socket: Duplex, status: number, reason: string, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
}

export function handleUpgrade(
  wss: WebSocketServer,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  contexts: Readonly<Record<MarketKind, ConnectionContext>>,
): void {
  const target = parseStreamUrl(request.url ?? '/');
  if (!target) return refuse(socket, 404, 'Not Found', '{"code":-1,"msg":"Not found"}');
  const ctx = contexts[target.kind];
  const unique = [...new Set(target.streams)];
  if (unique.length > MAX_STREAMS_PER_CONNECTION)
    return refuse(
      socket,
      400,
      'Bad Request',
      `{"code":2,"msg":"Invalid request: too many streams; a connection can listen to at most ${MAX_STREAMS_PER_CONNECTION}"}`,
    );
  if (unique.some((s) => !ctx.validStream(s)))
    return refuse(socket, 400, 'Bad Request', '{"code":2,"msg":"Invalid request: invalid stream"}');
  wss.handleUpgrade(
    request,
    socket,
    head,
    (ws) => new ClientConnection(ws, socket, ctx, unique, target.combined),
  );
}
