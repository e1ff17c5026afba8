// Parses a client's live control message (SUBSCRIBE, ...) and words its errors as Binance's stream servers do.

export const Methods = {
  SUBSCRIBE: 'SUBSCRIBE',
  UNSUBSCRIBE: 'UNSUBSCRIBE',
  LIST_SUBSCRIPTIONS: 'LIST_SUBSCRIPTIONS',
  SET_PROPERTY: 'SET_PROPERTY',
  GET_PROPERTY: 'GET_PROPERTY',
} as const;
export type Method = (typeof Methods)[keyof typeof Methods];
const METHOD_NAMES: readonly string[] = Object.values(Methods);

/** A request id as Binance accepts it: a 64-bit integer, a short alphanumeric string, or null. */
export type RequestId = number | string | null;

export type ControlRequest =
  | {
      readonly ok: true;
      readonly method: Method;
      readonly params: readonly unknown[];
      readonly id: RequestId;
    }
  | { readonly ok: false; readonly code: number; readonly msg: string; readonly id: RequestId };

export function errorText(code: number, msg: string, id: RequestId): string {
  return JSON.stringify({ error: { code, msg }, id });
}

export function resultText(result: unknown, id: RequestId): string {
  return JSON.stringify({ result, id });
}

function validId(id: unknown): id is RequestId {
  if (id === null) return true;
  if (typeof id === 'number') return Number.isSafeInteger(id);
  return typeof id === 'string' && /^[A-Za-z0-9_-]{1,36}$/.test(id);
}

/** Line and column (1-based) of a character offset, as serde reports positions. */
function position(text: string, offset: number): string {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  return `line ${line} column ${offset - before.lastIndexOf('\n')}`;
}

export function parseControl(text: string): ControlRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const at = /position (\d+)/.exec((error as Error).message);
    const offset = at ? Number(at[1]) : 0;
    return { ok: false, code: 3, msg: `Invalid JSON: expected value at ${position(text, offset)}`, id: null };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return {
      ok: false,
      code: 2,
      msg: `Invalid request: expected a JSON object at ${position(text, 1)}`,
      id: null,
    };
  const request = value as Record<string, unknown>;
  const rawId = request['id'];
  const id = validId(rawId) ? rawId : null;
  if (!('method' in request))
    return {
      ok: false,
      code: 2,
      msg: `Invalid request: missing field \`method\` at ${position(text, text.length)}`,
      id,
    };
  const method = request['method'];
  if (typeof method !== 'string' || !METHOD_NAMES.includes(method)) {
    const where = text.indexOf(JSON.stringify(method)) + JSON.stringify(method ?? null).length;
    return {
      ok: false,
      code: 2,
      msg:
        `Invalid request: unknown variant \`${String(method)}\`, expected one of ` +
        `${METHOD_NAMES.map((m) => `\`${m}\``).join(', ')} at ${position(text, where)}`,
      id,
    };
  }
  if (!('id' in request) || !validId(rawId))
    return { ok: false, code: 2, msg: 'Invalid request: request ID must be an unsigned integer', id: null };
  const params = request['params'] ?? [];
  if (!Array.isArray(params))
    return { ok: false, code: 2, msg: 'Invalid request: params must be an array', id };
  return { ok: true, method: method as Method, params, id };
}
