// The detector's core without the runtime: one trade or book delta and an instrument's state in, alerts out.

import { type Alert } from '../../contracts/schema/alerts.ts';
import { type BookDelta } from '../../contracts/schema/book.ts';
import { type Trade } from '../../contracts/schema/trades.ts';
import { type Finding, toAlert } from './alert.ts';
import { applyDelta, unsync } from './light-book.ts';
import { type DetectorRuleOptions } from './options.ts';
import { crossedOrLocked, openStale, settleStale, staleTrade } from './rules/book-health.ts';
import { bookSequence, tradeIdGap } from './rules/feed-gaps.ts';
import { priceJump } from './rules/price-jump.ts';
import { canonical } from './rules/robust.ts';
import { settleSpoofs, spoofChanges, spoofTrade } from './rules/spoofing.ts';
import { volumeBurst } from './rules/volume-burst.ts';
import { washTrades } from './rules/wash-trades.ts';
import { type InstrumentState } from './state.ts';

/**
 * Everything is decided in event time from the instrument's state, never from the clock, so a
 * replay of the same records gives the same alerts with the same ids. The state is mutated in
 * place; the caller persists it.
 */
export class DetectorEngine {
  readonly options: DetectorRuleOptions;
  readonly #tradeIdVenues: ReadonlySet<string>;

  constructor(options: DetectorRuleOptions) {
    this.options = options;
    this.#tradeIdVenues = new Set(options.feedGaps.consecutiveTradeIds);
  }

  onTrade(s: InstrumentState, trade: Trade): Alert[] {
    const o = this.options;
    const found: (Finding | undefined)[] = [];
    s.tradeTime = Math.max(s.tradeTime ?? trade.timestamp, trade.timestamp);
    s.trades.push([trade.timestamp, canonical(trade.price), Number(trade.quantity)]);
    if (s.trades.length > o.tradeMemory) s.trades.splice(0, s.trades.length - o.tradeMemory);
    staleTrade(s, trade);
    spoofTrade(s, trade);
    if (this.#tradeIdVenues.has(trade.exchange)) found.push(tradeIdGap(s.tradeIds, trade));
    found.push(priceJump(s.jump, o.priceJump, trade));
    found.push(volumeBurst(s.volume, o.volumeBurst, trade));
    const wash = washTrades(s.wash, o.washTrades, trade);
    s.wash = wash.run;
    found.push(wash.finding);
    found.push(...this.#settle(s, trade.symbol));
    return this.#alerts(s, trade.exchange, trade.symbol, found);
  }

  onBook(s: InstrumentState, delta: BookDelta): Alert[] {
    const o = this.options;
    const found: (Finding | undefined)[] = [];
    const seq = bookSequence(s.seq, delta);
    if (seq.repeat) return [];
    if (seq.finding) {
      found.push(seq.finding);
      // Levels may be wrong from here on: judge nothing on the book until the next snapshot.
      unsync(s.book);
      s.candidates = s.candidates.filter((x) => x.removedAt !== null);
    }
    if (!delta.isSnapshot) openStale(s, o.bookHealth, delta);
    const changes = applyDelta(s.book, delta, o.bookLevels);
    found.push(crossedOrLocked(s.book, delta));
    if (s.book.synced && !delta.isSnapshot)
      spoofChanges(s, o.spoofing, changes, delta.timestamp, delta.localTimestamp, delta.lastUpdateId ?? null);
    // A REST snapshot's time is the receive time, on another clock: only deltas move the book's time.
    if (!delta.isSnapshot) s.lastBookTime = Math.max(s.lastBookTime ?? delta.timestamp, delta.timestamp);
    found.push(...this.#settle(s, delta.symbol));
    return this.#alerts(s, delta.exchange, delta.symbol, found);
  }

  #settle(s: InstrumentState, symbol: string): Finding[] {
    const o = this.options;
    return [
      ...settleSpoofs(s, o.spoofing, o.settleMs, symbol),
      ...settleStale(s, o.bookHealth, o.settleMs, symbol),
    ];
  }

  /** The cooldown: one alert per rule and instrument per `cooldownMs`; the next one counts those held back. */
  #alerts(
    s: InstrumentState,
    exchange: Trade['exchange'],
    symbol: string,
    found: readonly (Finding | undefined)[],
  ): Alert[] {
    const out: Alert[] = [];
    for (const f of found) {
      if (f === undefined) continue;
      const cool = s.cooldown[f.rule];
      if (cool !== undefined && f.timestamp < cool.until) {
        cool.held++;
        continue;
      }
      out.push(toAlert(exchange, symbol, f, cool?.held ?? 0));
      s.cooldown[f.rule] = { until: f.timestamp + this.options.cooldownMs, held: 0 };
    }
    return out;
  }
}
