// Binance's IP request-weight limit: a budget per clock minute, 429 past it, a 418 ban for ignoring the 429.

const MINUTE = 60_000;
const FIRST_BAN_MS = 2 * MINUTE;
const LONGEST_BAN_MS = 3 * 24 * 60 * MINUTE;

export type Charge =
  | { readonly ok: true; readonly used: number }
  | {
      readonly ok: false;
      readonly status: 429 | 418;
      readonly used: number;
      readonly retryAfterSeconds: number;
      readonly msg: string;
    };

interface IpState {
  minute: number;
  used: number;
  /** Until when a client told to back off (429) must stay quiet. */
  backoffUntil: number;
  bannedUntil: number;
  bans: number;
}

export class WeightLimiter {
  readonly limit: number;
  readonly #ips = new Map<string, IpState>();
  readonly #now: () => number;

  constructor(limitPerMinute: number, now: () => number = Date.now) {
    this.limit = limitPerMinute;
    this.#now = now;
  }

  /** Weight used this minute by `ip`. */
  used(ip: string): number {
    const s = this.#ips.get(ip);
    return s && s.minute === Math.floor(this.#now() / MINUTE) ? s.used : 0;
  }

  /** Total weight used this minute by every client. */
  usedByAll(): number {
    let total = 0;
    for (const ip of this.#ips.keys()) total += this.used(ip);
    return total;
  }

  /**
   * Charges a request's weight. A request over the budget is answered 429 with the seconds to the
   * next minute; a request before that time has passed gets the IP banned (418), 2 minutes at first
   * and doubling for each repeat, up to 3 days.
   */
  charge(ip: string, weight: number): Charge {
    const now = this.#now();
    const minute = Math.floor(now / MINUTE);
    let s = this.#ips.get(ip);
    if (!s) this.#ips.set(ip, (s = { minute, used: 0, backoffUntil: 0, bannedUntil: 0, bans: 0 }));
    if (s.minute !== minute) {
      s.minute = minute;
      s.used = 0;
    }
    if (s.bannedUntil <= now && s.backoffUntil > now) {
      s.bans++;
      s.bannedUntil = now + Math.min(LONGEST_BAN_MS, FIRST_BAN_MS * 2 ** (s.bans - 1));
      s.backoffUntil = 0;
    }
    if (s.bannedUntil > now)
      return {
        ok: false,
        status: 418,
        used: s.used,
        retryAfterSeconds: Math.ceil((s.bannedUntil - now) / 1000),
        msg:
          `Way too much request weight used; IP banned until ${s.bannedUntil}. ` +
          'Please use WebSocket Streams for live updates to avoid bans.',
      };
    s.used += weight;
    if (s.used <= this.limit) return { ok: true, used: s.used };
    s.backoffUntil = (minute + 1) * MINUTE;
    return {
      ok: false,
      status: 429,
      used: s.used,
      retryAfterSeconds: Math.ceil((s.backoffUntil - now) / 1000),
      msg:
        `Too much request weight used; current limit is ${this.limit} request weight per 1 MINUTE. ` +
        'Please use WebSocket Streams for live updates to avoid polling the API.',
    };
  }
}
