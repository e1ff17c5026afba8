// The simulator's own HTTP endpoints: POST /_sim/faults arms a fault, GET /_sim/stats reports counters.

import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type FaultInjector, FaultNames, type FaultName } from './faults.ts';

export const ADMIN_PREFIX = '/_sim/';

/** Each fault's JSON fields, in call order, and whether they may be left out. */
const FIELDS: Readonly<
  Record<FaultName, readonly { name: string; optional?: boolean; type: 'number' | 'string' }[]>
> = {
  sequenceGap: [{ name: 'symbol', optional: true, type: 'string' }],
  dropConnections: [],
  delayFrames: [
    { name: 'ms', type: 'number' },
    { name: 'durationMs', type: 'number' },
  ],
  malformedFrames: [{ name: 'count', type: 'number' }],
  duplicateFrames: [{ name: 'count', type: 'number' }],
  rateLimit: [
    { name: 'status', type: 'number' },
    { name: 'count', type: 'number' },
    { name: 'retryAfterSeconds', type: 'number' },
  ],
  expireConnections: [],
  serverShutdown: [],
  burst: [
    { name: 'multiplier', type: 'number' },
    { name: 'durationMs', type: 'number' },
  ],
  washTrades: [
    { name: 'symbol', type: 'string' },
    { name: 'count', optional: true, type: 'number' },
    { name: 'gapMs', optional: true, type: 'number' },
  ],
  spoof: [
    { name: 'symbol', type: 'string' },
    { name: 'side', optional: true, type: 'string' },
    { name: 'multiple', optional: true, type: 'number' },
    { name: 'holdMs', optional: true, type: 'number' },
  ],
  priceJump: [
    { name: 'symbol', type: 'string' },
    { name: 'bps', type: 'number' },
  ],
};
const NAMES: readonly string[] = Object.values(FaultNames);

/** Validates `{ "fault": name, ...fields }` and arms it; returns the error text for a 400 otherwise. */
export function applyFault(injector: FaultInjector, body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'the body must be a JSON object such as {"fault":"sequenceGap","symbol":"BTCUSDT"}';
  const request = body as Record<string, unknown>;
  const fault = request['fault'];
  if (typeof fault !== 'string' || !NAMES.includes(fault))
    return `"fault" must be one of ${NAMES.join(', ')}; got ${JSON.stringify(fault ?? null)}`;
  const fields = FIELDS[fault as FaultName];
  for (const key of Object.keys(request))
    if (key !== 'fault' && !fields.some((f) => f.name === key))
      return `${fault} takes ${fields.length === 0 ? 'no fields' : fields.map((f) => `"${f.name}"`).join(', ')}; "${key}" is not one of them`;
  const args: unknown[] = [];
  for (const f of fields) {
    const value = request[f.name];
    if (value === undefined && f.optional) break;
    if (typeof value !== f.type)
      return `${fault}: "${f.name}" must be a ${f.type}, got ${JSON.stringify(value ?? null)}`;
    args.push(value);
  }
  try {
    (injector[fault as FaultName] as (...a: unknown[]) => void)(...args);
  } catch (error) {
    if (error instanceof RangeError) return error.message;
    throw error;
  }
  return undefined;
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(value));
}

export function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  injector: FaultInjector,
  stats: () => unknown,
): void {
  const path = new URL(req.url ?? '/', 'http://simulator').pathname;
  if (path === '/_sim/stats' && req.method === 'GET') return json(res, 200, stats());
  if (path !== '/_sim/faults') return json(res, 404, { error: `no admin endpoint ${req.method} ${path}` });
  if (req.method !== 'POST') return json(res, 405, { error: 'faults are armed with POST /_sim/faults' });
  let text = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (text += chunk));
  req.on('end', () => {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return json(res, 400, { error: `the body is not JSON: ${JSON.stringify(text.slice(0, 200))}` });
    }
    const error = applyFault(injector, body);
    if (error) return json(res, 400, { error });
    json(res, 200, { ok: true, fault: (body as { fault: string }).fault });
  });
}
