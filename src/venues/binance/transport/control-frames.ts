// Tells a combined-stream data frame from Binance's control frames (SUBSCRIBE answers, serverShutdown) without parsing data frames.

const STREAM_PREFIX = Buffer.from('{"stream":"', 'latin1');
const QUOTE = 0x22;

/**
 * The stream name of a combined-stream frame (`{"stream":"btcusdt@trade","data":{...}}`), read from
 * the bytes: data frames are nearly all of the traffic, and parsing a 20 KB depth frame only to
 * learn its stream would double the loader's CPU per frame. Undefined for anything else.
 */
export function wrappedStreamName(body: Buffer): string | undefined {
  if (body.length <= STREAM_PREFIX.length || !STREAM_PREFIX.equals(body.subarray(0, STREAM_PREFIX.length))) {
    return undefined;
  }
  const end = body.indexOf(QUOTE, STREAM_PREFIX.length);
  return end < 0 ? undefined : body.toString('latin1', STREAM_PREFIX.length, end);
}

/** What a frame that is not a known stream's data means to the connection. */
export type ControlFrame =
  | {
      readonly kind: 'answer';
      readonly id: number;
      readonly error?: { readonly code?: number; readonly msg: string };
    }
  | { readonly kind: 'shutdown' }
  | { readonly kind: 'data'; readonly stream: string }
  | { readonly kind: 'other' };

const OTHER: ControlFrame = { kind: 'other' };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Classifies a frame that `wrappedStreamName` did not match to a subscribed stream. */
export function classifyControl(body: Buffer): ControlFrame {
  let message: unknown;
  try {
    message = JSON.parse(body.toString('utf8'));
  } catch {
    // Not JSON: the mapper downstream reports it with the frame; the transport has nothing to do.
    return OTHER;
  }
  if (!isRecord(message)) return OTHER;
  const data = message['data'];
  if (message['e'] === 'serverShutdown' || (isRecord(data) && data['e'] === 'serverShutdown')) {
    return { kind: 'shutdown' };
  }
  const id = message['id'];
  if (typeof id === 'number') {
    if ('error' in message || 'code' in message) {
      // Binance has answered errors both as {"error":{"code","msg"},"id"} and as {"code","msg","id"}.
      const failure = isRecord(message['error']) ? message['error'] : message;
      const code = typeof failure['code'] === 'number' ? failure['code'] : undefined;
      const msg = typeof failure['msg'] === 'string' ? failure['msg'] : JSON.stringify(message);
      return { kind: 'answer', id, error: code === undefined ? { msg } : { code, msg } };
    }
    if ('result' in message) return { kind: 'answer', id };
  }
  if (typeof message['stream'] === 'string' && 'data' in message)
    return { kind: 'data', stream: message['stream'] };
  return OTHER;
}
