// The process's HTTP endpoint for Prometheus and orchestrators: /metrics, /health and /ready.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type Registry } from 'prom-client';
import { ObservabilityError, ObservabilityErrorCodes } from './errors.ts';
import { type HealthReport, HealthStatuses, healthStatus } from './health.ts';
import { METRICS_PORT_ENV, METRICS_PORT_OPTION } from './port.ts';

export interface ObservabilityServerOptions {
  /** Default 127.0.0.1: metrics are not for the world. Use 0.0.0.0 (or ::) in a container. */
  readonly host?: string;
  /** 0 lets the system pick a free port; read the chosen one from the result. */
  readonly port: number;
  readonly registry: Registry;
  /** The state of every component, asked on each GET /health. */
  readonly health: () => HealthReport | Promise<HealthReport>;
  /** Whether the process should get work or traffic now, asked on each GET /ready. */
  readonly ready: () => boolean | Promise<boolean>;
}

export interface ObservabilityServer {
  readonly port: number;
  /** `http://host:port`, with IPv6 hosts in brackets. */
  readonly url: string;
  /** Stops listening and ends open connections (scrapers keep theirs alive); safe to call twice. */
  close(): Promise<void>;
}

const PATHS = ['/metrics', '/health', '/ready'] as const;

/** Starts the server; rejects with PORT_IN_USE or LISTEN_FAILED when it cannot listen. */
export async function startObservabilityServer(
  options: ObservabilityServerOptions,
): Promise<ObservabilityServer> {
  const host = options.host ?? '127.0.0.1';
  const { port } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ObservabilityError(ObservabilityErrorCodes.INVALID_ARGUMENT, `port ${port} is not a TCP port`, {
      hint: 'give an integer from 0 to 65535; 0 picks any free port',
    });
  }
  const server = createServer((request, response) => {
    handle(options, request, response).catch((error: unknown) => {
      // Only a failure to write the response lands here; the socket is the only thing left to end.
      response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  // A scrape is one small request: do not let slow or idle clients hold sockets for minutes.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await listen(server, host, port);
  const chosen = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${chosen}`;
  let closing: Promise<void> | undefined;
  return {
    port: chosen,
    url,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        reject(
          new ObservabilityError(
            ObservabilityErrorCodes.PORT_IN_USE,
            `cannot serve metrics on ${host}:${port}: the port is already in use`,
            {
              cause: error,
              hint: `choose another with ${METRICS_PORT_OPTION} <port> or ${METRICS_PORT_ENV}=<port>, or 0 for any free port`,
            },
          ),
        );
        return;
      }
      reject(
        new ObservabilityError(
          ObservabilityErrorCodes.LISTEN_FAILED,
          `cannot serve metrics on ${host}:${port}: ${error.code ?? error.message}`,
          {
            cause: error,
            hint:
              error.code === 'EACCES'
                ? `ports below 1024 need privileges; choose another with ${METRICS_PORT_OPTION} or ${METRICS_PORT_ENV}`
                : 'check the host address',
          },
        ),
      );
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port });
  });
}

async function handle(
  options: ObservabilityServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const method = request.method ?? 'GET';
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const head = method === 'HEAD';
  if (method !== 'GET' && !head) {
    send(
      response,
      false,
      405,
      { error: `method ${method} not allowed`, allow: ['GET', 'HEAD'] },
      { allow: 'GET, HEAD' },
    );
    return;
  }
  switch (path) {
    case '/metrics': {
      let text: string;
      try {
        text = await options.registry.metrics();
      } catch (error) {
        send(response, head, 500, { error: `collecting metrics failed: ${message(error)}` });
        return;
      }
      reply(response, head, 200, options.registry.contentType, text);
      return;
    }
    case '/health': {
      try {
        const report = await options.health();
        const status = healthStatus(report);
        send(response, head, status === HealthStatuses.FAILED ? 503 : 200, {
          status,
          components: report.components,
        });
      } catch (error) {
        // A health callback that throws means the runtime itself is broken: report failed.
        send(response, head, 503, { status: HealthStatuses.FAILED, error: message(error) });
      }
      return;
    }
    case '/ready': {
      try {
        const ready = (await options.ready()) === true;
        send(response, head, ready ? 200 : 503, { ready });
      } catch (error) {
        send(response, head, 503, { ready: false, error: message(error) });
      }
      return;
    }
    default:
      send(response, head, 404, { error: `no such path: ${path}`, paths: PATHS });
  }
}

function send(
  response: ServerResponse,
  head: boolean,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  reply(response, head, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`, headers);
}

function reply(
  response: ServerResponse,
  head: boolean,
  status: number,
  contentType: string,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  response.writeHead(status, {
    ...headers,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    // Every answer describes this instant; a cached one would hide a failure.
    'cache-control': 'no-store',
  });
  response.end(head ? undefined : body);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
