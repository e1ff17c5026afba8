// Reads why a server refused a WebSocket handshake with a plain HTTP answer (400 invalid stream, 404, 429, ...).

import { type IncomingMessage } from 'node:http';

/** The status and the start of the body of a refused handshake. */
export interface Refusal {
  readonly status: number;
  readonly text: string;
}

// Enough for Binance's `{"code":2,"msg":"..."}`; a huge error page is not kept.
const MAX_BODY = 4096;
const MAX_TEXT = 300;
// A server that never finishes its error body must not hold the reconnect.
const READ_TIMEOUT_MS = 1000;

/** Calls `done` once with the refusal, when the body has ended, failed, or taken too long. */
export function readRefusal(response: IncomingMessage, done: (refusal: Refusal) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    done({
      status: response.statusCode ?? 0,
      text: Buffer.concat(chunks).toString('utf8').slice(0, MAX_TEXT),
    });
  };
  const timer = setTimeout(finish, READ_TIMEOUT_MS);
  timer.unref();
  response.on('data', (chunk: Buffer) => {
    if (size < MAX_BODY) chunks.push(chunk);
    size += chunk.length;
  });
  response.on('end', finish);
  response.on('error', finish);
}
