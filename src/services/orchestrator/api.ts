// The orchestrator's HTTP API (node:http): workflows started, listed, shown and stopped; its OpenAPI 3.1 document from the same schemas.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { WorkflowV1, type Workflow, type WorkflowParams } from '../../contracts/schema/workflows.ts';
import { fixedIntervalMs, SPOT_INTERVALS } from '../../venues/binance/intervals.ts';

/** The most klines one workflow may cover: about 69 days of 1m klines. */
export const MAX_KLINES = 100_000;
const MAX_BODY = 16 * 1024;

const Time = Type.Union(
  [
    Type.String({
      minLength: 1,
      maxLength: 40,
      description: 'ISO-8601 with a time zone (2024-08-01T00:00:00Z)',
    }),
    Type.Integer({ minimum: 0, description: 'epoch milliseconds' }),
  ],
  { description: 'ISO-8601 date-time with a time zone, or epoch milliseconds' },
);

const fixedIntervals = SPOT_INTERVALS.filter((i) => fixedIntervalMs(i) !== undefined);

export const CreateWorkflowRequest = Type.Object(
  {
    type: Type.Literal('backfill-persist-features', { description: 'the only workflow type so far' }),
    exchange: Type.Union([Type.Literal('binance'), Type.Literal('binance-futures')]),
    symbol: Type.String({ pattern: '^[A-Z0-9]{2,20}$', description: 'Binance symbol, upper-case (BTCUSDT)' }),
    interval: Type.Union(
      fixedIntervals.map((i) => Type.Literal(i)),
      { description: 'kline interval' },
    ),
    from: Time,
    to: Time,
  },
  { additionalProperties: false },
);
export type CreateWorkflowRequest = Static<typeof CreateWorkflowRequest>;

const ErrorBody = Type.Object(
  {
    error: Type.String({ description: 'what is wrong and how to fix it' }),
    field: Type.Optional(Type.String({ description: 'the request field at fault' })),
    leader: Type.Optional(
      Type.Union([Type.String(), Type.Null()], {
        description: "503 from a standby: the leader's API URL, null while none is known",
      }),
    ),
  },
  { additionalProperties: false },
);
const WorkflowList = Type.Object({ workflows: Type.Array(WorkflowV1) }, { additionalProperties: false });
const Health = Type.Object({
  status: Type.Literal('ok'),
  workflows: Type.Integer({ minimum: 0 }),
  role: Type.Union([Type.Literal('leader'), Type.Literal('standby')], {
    description: 'only the leader acts; a standby serves reads from its copy of orchestrator.workflows',
  }),
  leader: Type.Union([Type.String(), Type.Null()], { description: "the leader's API URL, when known" }),
});

/** What the API needs from the orchestrator. */
export interface WorkflowBook {
  list(): Workflow[];
  get(id: string): Workflow | undefined;
  create(params: WorkflowParams): Promise<Workflow>;
  /** 'ended' when the workflow had already ended; null when there is none. */
  stop(id: string): Promise<Workflow | 'ended' | null>;
  /** Whether this instance leads, and the leader's URL (its own when it leads). */
  role(): { role: 'leader' | 'standby'; leader: string | null };
}

/** A write sent to an instance that does not lead: 503, naming the leader's URL for the client to retry there. */
export class NotLeaderError extends Error {
  readonly leader: string | null;

  constructor(message: string, leader: string | null) {
    super(message);
    this.name = 'NotLeaderError';
    this.leader = leader;
  }
}

class HttpError extends Error {
  readonly status: number;
  readonly field: string | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, field?: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.field = field;
    this.headers = headers;
  }
}

/** A time field: ISO-8601 with a zone or epoch ms; errors name the field. */
function parseTime(value: string | number, field: string): number {
  if (typeof value === 'number') return value;
  if (/^\d+$/.test(value)) return Number(value);
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value))
    throw new HttpError(
      400,
      `${field} "${value}" is not a date-time: write ISO-8601 with a time zone (2024-08-01T00:00:00Z) or epoch milliseconds`,
      field,
    );
  // Date.parse rolls impossible dates over (Feb 30 -> Mar 1): check the calendar first.
  const [y, mo, d, h = 0, mi = 0, se = 0] = (value.match(/\d+/g) ?? []).map(Number) as number[];
  const days = new Date(Date.UTC(y!, mo!, 0)).getUTCDate();
  if (!(mo! >= 1 && mo! <= 12 && d! >= 1 && d! <= days && h <= 23 && mi <= 59 && se <= 59))
    throw new HttpError(400, `${field} "${value}" is not a date that exists`, field);
  const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  if (!Number.isFinite(ms)) throw new HttpError(400, `${field} "${value}" is not a valid date`, field);
  return ms;
}

/** Checks a create request; returns the workflow parameters (times in epoch ms). */
export function validateCreate(body: unknown): WorkflowParams {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(
      400,
      'the body must be a JSON object with type, exchange, symbol, interval, from, to',
      'body',
    );
  const errors = [...Value.Errors(CreateWorkflowRequest, body)];
  if (errors.length > 0) {
    const record = body as Record<string, unknown>;
    const known = Object.keys(CreateWorkflowRequest.properties);
    const extra = Object.keys(record).find((k) => !known.includes(k));
    if (extra !== undefined)
      throw new HttpError(400, `unknown field "${extra}"; the fields are ${known.join(', ')}`, extra);
    const missing = known.find((k) => record[k] === undefined);
    if (missing !== undefined) throw new HttpError(400, `${missing} is required`, missing);
    const field = errors[0]!.path.split('/')[1] ?? 'body';
    const got = JSON.stringify(record[field]);
    const expect: Record<string, string> = {
      type: 'must be "backfill-persist-features"',
      exchange: 'must be "binance" or "binance-futures"',
      symbol: 'must be an upper-case Binance symbol of 2 to 20 letters and digits (BTCUSDT)',
      interval: `must be one of ${fixedIntervals.join(', ')}`,
      from: 'must be an ISO-8601 date-time with a time zone or epoch milliseconds',
      to: 'must be an ISO-8601 date-time with a time zone or epoch milliseconds',
    };
    throw new HttpError(400, `${field} ${expect[field] ?? errors[0]!.message}, got ${got}`, field);
  }
  const request = body as CreateWorkflowRequest;
  const from = parseTime(request.from, 'from');
  const to = parseTime(request.to, 'to');
  if (!(from < to))
    throw new HttpError(
      400,
      `from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`,
      'from',
    );
  const intervalMs = fixedIntervalMs(request.interval)!;
  const klines = Math.floor((to - from) / intervalMs) + 1;
  if (klines > MAX_KLINES)
    throw new HttpError(
      400,
      `the range holds ${klines} ${request.interval} klines, more than ${MAX_KLINES}: split it into several workflows or use a longer interval`,
      'to',
    );
  return { exchange: request.exchange, symbol: request.symbol, interval: request.interval, from, to };
}

const plain = (schema: TSchema): unknown => JSON.parse(JSON.stringify(schema)) as unknown;

/** The OpenAPI 3.1 document of this API, built from the schemas the server validates and answers with. */
export function openApiDocument(serverUrl?: string): Record<string, unknown> {
  const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
  const error = (description: string) => ({ description, content: json('Error') });
  const notLeader = 'this instance stands by (or is taking over): `leader` names the leader to send it to';
  const idParam = {
    name: 'id',
    in: 'path',
    required: true,
    schema: plain(WorkflowV1.properties.id),
    description: 'workflow id',
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'StreamForge orchestrator',
      version: '1.0.0',
      description:
        'Starts and follows workflows (backfill klines, persist them to SQL, compute features). The orchestrator ' +
        'never calls a service: it publishes commands on queue-control and follows queue-events. Of several ' +
        'instances one leads; a standby answers reads from its copy of orchestrator.workflows and writes 503 ' +
        "with the leader's URL.",
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    paths: {
      '/api/workflows': {
        post: {
          summary: 'start a workflow',
          requestBody: { required: true, content: json('CreateWorkflowRequest') },
          responses: {
            '201': { description: 'created and started', content: json('Workflow') },
            '400': error('invalid input; `field` names the field'),
            '413': error('body larger than 16 KiB'),
            '415': error('the body is not application/json'),
            '503': error(notLeader),
          },
        },
        get: {
          summary: 'list workflows, newest first',
          responses: { '200': { description: 'every workflow', content: json('WorkflowList') } },
        },
      },
      '/api/workflows/{id}': {
        get: {
          summary: 'one workflow with its steps and history',
          parameters: [idParam],
          responses: {
            '200': { description: 'the workflow', content: json('Workflow') },
            '404': error('no workflow with this id'),
          },
        },
      },
      '/api/workflows/{id}/stop': {
        post: {
          summary: 'stop a workflow',
          parameters: [idParam],
          responses: {
            '202': { description: 'stop commands sent; the workflow is stopped', content: json('Workflow') },
            '404': error('no workflow with this id'),
            '409': error('the workflow has already ended'),
            '503': error(notLeader),
          },
        },
      },
      '/api/openapi.json': {
        get: { summary: 'this document', responses: { '200': { description: 'OpenAPI 3.1' } } },
      },
      '/health': {
        get: { summary: 'liveness', responses: { '200': { description: 'up', content: json('Health') } } },
      },
    },
    components: {
      schemas: {
        CreateWorkflowRequest: plain(CreateWorkflowRequest),
        Workflow: plain(WorkflowV1),
        WorkflowList: plain(WorkflowList),
        Error: plain(ErrorBody),
        Health: plain(Health),
      },
    },
  };
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type',
  'access-control-max-age': '600',
};

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...CORS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json')
    throw new HttpError(415, `send the body as application/json (got ${type || 'no content-type'})`, 'body');
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY)
    throw new HttpError(413, `the body is ${declared} bytes; at most ${MAX_BODY} are accepted`, 'body');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `the body is larger than ${MAX_BODY} bytes`, 'body');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (error) {
    throw new HttpError(400, `the body is not valid JSON: ${(error as Error).message}`, 'body');
  }
}

const ID = /^[a-z0-9]{6,40}$/;

async function route(
  book: WorkflowBook,
  req: IncomingMessage,
  res: ServerResponse,
  url: string,
): Promise<void> {
  const method = req.method ?? 'GET';
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const allow = (methods: string): void => {
    if (method === 'OPTIONS') {
      res.writeHead(204, { ...CORS, allow: `${methods}, OPTIONS` });
      res.end();
      return;
    }
    throw new HttpError(405, `${method} is not allowed on ${path}; use ${methods}`, undefined, {
      allow: `${methods}, OPTIONS`,
    });
  };
  if (path === '/health') {
    if (method !== 'GET') return allow('GET');
    return send(res, 200, { status: 'ok', workflows: book.list().length, ...book.role() });
  }
  if (path === '/api/openapi.json') {
    if (method !== 'GET') return allow('GET');
    return send(res, 200, openApiDocument(url));
  }
  if (path === '/api/workflows') {
    if (method === 'GET') return send(res, 200, { workflows: book.list() });
    if (method === 'POST') {
      const params = validateCreate(await readJson(req));
      const created = await book.create(params);
      return send(res, 201, created, { location: `/api/workflows/${created.id}` });
    }
    return allow('GET, POST');
  }
  const one = /^\/api\/workflows\/([^/]+)(\/stop)?$/.exec(path);
  if (one) {
    const id = decodeURIComponent(one[1]!);
    const stop = one[2] !== undefined;
    if (stop ? method !== 'POST' : method !== 'GET') return allow(stop ? 'POST' : 'GET');
    if (!ID.test(id))
      throw new HttpError(404, `no workflow "${id}": ids are 6 to 40 lower-case letters and digits`, 'id');
    if (!stop) {
      const w = book.get(id);
      if (!w) throw new HttpError(404, `no workflow "${id}"`, 'id');
      return send(res, 200, w);
    }
    const result = await book.stop(id);
    if (result === null) throw new HttpError(404, `no workflow "${id}"`, 'id');
    if (result === 'ended')
      throw new HttpError(
        409,
        `workflow "${id}" has already ended (${book.get(id)?.state ?? 'ended'}); nothing to stop`,
        'id',
      );
    return send(res, 202, result);
  }
  throw new HttpError(404, `no such path ${path}; see /api/openapi.json`);
}

export interface ApiServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startApi(
  book: WorkflowBook,
  options: { port: number; host: string },
): Promise<ApiServer> {
  let url = '';
  const server: Server = createServer((req, res) => {
    route(book, req, res, url).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      if (error instanceof NotLeaderError)
        return send(res, 503, { error: error.message, leader: error.leader }, { 'retry-after': '1' });
      if (error instanceof HttpError)
        return send(
          res,
          error.status,
          { error: error.message, ...(error.field ? { field: error.field } : {}) },
          error.headers,
        );
      send(res, 500, { error: `internal error: ${(error as Error)?.message ?? String(error)}` });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
