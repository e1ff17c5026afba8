// The gateway's HTTP side: the page's files, the lightweight-charts build, JSON APIs, and strict answers to anything else.

import { readFile } from 'node:fs/promises';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { catalog } from '../../contracts/index.ts';
import { describeProduct } from '../../contracts/describe.ts';
import { type CandleInterval } from '../../contracts/schema/candles.ts';
import { INTERVALS, INSTRUMENT } from './clients.ts';
import { type ResolvedGatewayOptions } from './options.ts';

export const DEFAULT_STATIC_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../apps/dashboard',
);

/** lightweight-charts' standalone ES module build (no imports of its own), from node_modules. */
export function chartLibraryPath(): string {
  const main = fileURLToPath(import.meta.resolve('lightweight-charts'));
  return path.join(path.dirname(main), 'lightweight-charts.standalone.production.mjs');
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};

/** A request the gateway refuses, with the status and a message that says what to do instead. */
export class HttpError extends Error {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

export interface ApiSources {
  config(): Record<string, unknown>;
  stats(): Record<string, unknown>;
  instruments(): unknown;
  candles(instrument: string, interval: CandleInterval, limit: number): unknown;
  alerts(limit: number): unknown;
  events(limit: number): unknown;
  lag(): unknown;
  health(): { ok: boolean; detail: Record<string, unknown> };
}

function securityHeaders(o: ResolvedGatewayOptions): Record<string, string> {
  const orchestrator = new URL(o.orchestratorUrl).origin;
  return {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    // Everything comes from the gateway itself; the page only talks to it and to the orchestrator.
    'content-security-policy':
      `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; ` +
      `connect-src 'self' ws: wss: ${orchestrator}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
  };
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  head: boolean,
  headers: Record<string, string>,
): void {
  res.writeHead(status, {
    ...headers,
    'content-type': type,
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-cache',
  });
  res.end(head ? undefined : body);
}

function json(
  res: ServerResponse,
  status: number,
  value: unknown,
  head: boolean,
  headers: Record<string, string>,
): void {
  send(res, status, TYPES['.json']!, JSON.stringify(value), head, headers);
}

function intParam(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const text = params.get(name);
  if (text === null) return fallback;
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) < 1 || Number(text) > max)
    throw new HttpError(
      400,
      `query parameter ${name}=${JSON.stringify(text)} must be an integer from 1 to ${max}`,
    );
  return Number(text);
}

function onlyParams(params: URLSearchParams, allowed: readonly string[]): void {
  for (const name of params.keys())
    if (!allowed.includes(name))
      throw new HttpError(
        400,
        `unknown query parameter ${JSON.stringify(name)}; this path takes ${allowed.length === 0 ? 'none' : allowed.join(', ')}`,
      );
}

function checkInstrument(text: string | null, required: boolean): string | undefined {
  if (text === null && !required) return undefined;
  if (text === null || !INSTRUMENT.test(text))
    throw new HttpError(
      400,
      `query parameter instrument=${JSON.stringify(text)} must be exchange:SYMBOL, e.g. binance:BTCUSDT`,
    );
  return text;
}

function checkInterval(text: string | null): CandleInterval | undefined {
  if (text === null) return undefined;
  if (!INTERVALS.includes(text as CandleInterval))
    throw new HttpError(
      400,
      `query parameter interval=${JSON.stringify(text)} must be one of ${INTERVALS.join(', ')}`,
    );
  return text as CandleInterval;
}

/** Resolves a request path under `root`, refusing anything that would leave it. */
export function safeFile(root: string, relative: string): string {
  if (relative.includes('\0') || relative.includes('\\'))
    throw new HttpError(400, 'a path may not contain NUL or backslashes');
  const file = path.resolve(root, `.${path.posix.normalize(`/${relative}`)}`);
  const inside = path.relative(root, file);
  if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside))
    throw new HttpError(404, `no such file: ${relative}`);
  return file;
}

export function createRequestHandler(
  o: ResolvedGatewayOptions,
  api: ApiSources,
): (req: IncomingMessage, res: ServerResponse) => void {
  const staticDir = o.staticDir ?? DEFAULT_STATIC_DIR;
  const chartLib = chartLibraryPath();
  const headers = securityHeaders(o);
  const files = new Map<string, Buffer>();
  const readStatic = async (file: string): Promise<Buffer> => {
    const hit = files.get(file);
    if (hit) return hit;
    try {
      const body = await readFile(file);
      // The page's files change only with a new release; the library never.
      if (file === chartLib) files.set(file, body);
      return body;
    } catch (error) {
      if (
        (error as NodeJS.ErrnoException).code === 'ENOENT' ||
        (error as NodeJS.ErrnoException).code === 'EISDIR'
      )
        throw new HttpError(404, `no such file: ${path.basename(file)}`);
      throw error;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    if (method !== 'GET' && method !== 'HEAD')
      throw new HttpError(405, `${method} is not allowed: the gateway only serves GET and HEAD`, {
        allow: 'GET, HEAD',
      });
    let url: URL;
    let pathname: string;
    try {
      url = new URL(req.url ?? '/', 'http://gateway');
      pathname = decodeURIComponent(url.pathname);
    } catch {
      throw new HttpError(400, `the request path ${JSON.stringify(req.url)} is not a valid URL path`);
    }
    const params = url.searchParams;
    const ok = (value: unknown): void => json(res, 200, value, head, headers);

    if (pathname === '/' || pathname === '/index.html') {
      // A link may open the page on an instrument and interval: /?instrument=binance:ETHUSDT&interval=1m.
      onlyParams(params, ['instrument', 'interval']);
      checkInstrument(params.get('instrument'), false);
      checkInterval(params.get('interval'));
      const body = await readStatic(path.join(staticDir, 'index.html'));
      return send(res, 200, TYPES['.html']!, body, head, headers);
    }
    if (pathname === '/vendor/lightweight-charts.mjs') {
      const body = await readStatic(chartLib);
      return send(res, 200, TYPES['.mjs']!, body, head, headers);
    }
    if (pathname.startsWith('/app/')) {
      const file = safeFile(staticDir, pathname.slice('/app/'.length));
      const type = TYPES[path.extname(file)];
      if (!type || path.basename(file) === 'index.html')
        throw new HttpError(404, `no such file: ${pathname}`);
      return send(res, 200, type, await readStatic(file), head, headers);
    }
    switch (pathname) {
      case '/config.json':
        onlyParams(params, []);
        return ok(api.config());
      case '/health': {
        onlyParams(params, []);
        const h = api.health();
        return json(res, h.ok ? 200 : 503, { status: h.ok ? 'ok' : 'starting', ...h.detail }, head, headers);
      }
      case '/api/stats':
        onlyParams(params, []);
        return ok(api.stats());
      case '/api/catalog':
        onlyParams(params, []);
        return ok({ products: catalog.products.map(describeProduct) });
      case '/api/instruments':
        onlyParams(params, []);
        return ok({ instruments: api.instruments() });
      case '/api/lag':
        onlyParams(params, []);
        return ok(api.lag());
      case '/api/alerts':
        onlyParams(params, ['limit']);
        return ok(api.alerts(intParam(params, 'limit', 100, 10_000)));
      case '/api/events':
        onlyParams(params, ['limit']);
        return ok(api.events(intParam(params, 'limit', 100, 10_000)));
      case '/api/candles': {
        onlyParams(params, ['instrument', 'interval', 'limit']);
        const instrument = checkInstrument(params.get('instrument'), true)!;
        const interval = checkInterval(params.get('interval')) ?? '1m';
        return ok(api.candles(instrument, interval, intParam(params, 'limit', 500, 100_000)));
      }
    }
    if (pathname.startsWith('/api/catalog/')) {
      onlyParams(params, []);
      const topic = pathname.slice('/api/catalog/'.length);
      const product = catalog.find(topic);
      if (!product) {
        let message: string;
        try {
          catalog.get(topic);
          message = `no data product named ${JSON.stringify(topic)}`;
        } catch (error) {
          message = (error as Error).message;
        }
        throw new HttpError(404, message);
      }
      return ok(describeProduct(product));
    }
    throw new HttpError(
      404,
      `no such path: ${pathname} (the dashboard is at /, the APIs under /api/: catalog, stats, instruments, candles, alerts, events, lag)`,
    );
  };

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError)
        return json(res, error.status, { error: error.message }, req.method === 'HEAD', {
          ...headers,
          ...error.headers,
        });
      o.log(`request ${req.method} ${req.url} failed: ${(error as Error).message}`);
      json(res, 500, { error: 'internal error (see the gateway log)' }, req.method === 'HEAD', headers);
    });
  };
}
