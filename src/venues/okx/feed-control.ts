// Recognises OKX's control frames (pong, subscribe answers, errors, notices) among the pushes, cheaply.

import { argKey } from './feed-args.ts';
import { type OkxEvent } from './raw-types.ts';

export type OkxControl =
  | { readonly kind: 'data' }
  | { readonly kind: 'pong' }
  | { readonly kind: 'answer'; readonly op: 'subscribe' | 'unsubscribe'; readonly key: string }
  /** `key`: the pair the error names, when its message names one (OKX's error events carry no `arg`). */
  | { readonly kind: 'error'; readonly code: string; readonly msg: string; readonly key?: string }
  /** `64008`: the connection will be closed soon for a service upgrade. */
  | { readonly kind: 'notice'; readonly code: string; readonly msg: string }
  | { readonly kind: 'other' };

const BRACE = 0x7b;
// Pushes start with `{"arg"`; only frames that do not are parsed here, so the hot path costs a byte compare.
const PUSH_HEAD = Buffer.from('{"arg"');
const PONG = Buffer.from('pong');
// "Wrong URL or channel:books,instId:FOO-BAR doesn't exist. ..."
const NAMED_PAIR = /channel:([\w-]+),\s*instId:([\w-]+)/;
const DATA: OkxControl = { kind: 'data' };
const OTHER: OkxControl = { kind: 'other' };

export function classifyControl(body: Buffer): OkxControl {
  if (body.length >= PUSH_HEAD.length && body.subarray(0, PUSH_HEAD.length).equals(PUSH_HEAD)) return DATA;
  if (body.equals(PONG)) return { kind: 'pong' };
  if (body[0] !== BRACE) return OTHER;
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return OTHER;
  }
  if (typeof json !== 'object' || json === null) return OTHER;
  const e = json as Partial<OkxEvent>;
  if (typeof e.event !== 'string') return 'arg' in e ? DATA : OTHER;
  const code = typeof e.code === 'string' ? e.code : String(e.code ?? '');
  const msg = typeof e.msg === 'string' ? e.msg : '';
  if ((e.event === 'subscribe' || e.event === 'unsubscribe') && e.arg && typeof e.arg.channel === 'string') {
    return { kind: 'answer', op: e.event, key: argKey(e.arg) };
  }
  if (e.event === 'error') {
    const named = NAMED_PAIR.exec(msg);
    return named
      ? { kind: 'error', code, msg, key: argKey({ channel: named[1]!, instId: named[2]! }) }
      : { kind: 'error', code, msg };
  }
  if (e.event === 'notice') return { kind: 'notice', code, msg };
  return OTHER;
}
