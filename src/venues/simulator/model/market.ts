// One symbol's market: seeded order flow (limit orders, cancels, market orders walking the book) and its outputs.

import { BookSide, Sides, type Side } from './book.ts';
import { DiffCollector, type DepthDiff } from './diff.ts';
import { History } from './history.ts';
import { type Instrument, MarketKinds } from './instruments.ts';
import { FUTURES_INTERVALS, SPOT_INTERVALS } from '../../binance/intervals.ts';
import { KlineSeries, type Kline } from './klines.ts';
import { Random } from './random.ts';
import { AggregationRules, AggTradeBuilder, type AggTrade, type Trade } from './trades.ts';

/** The book is kept within this many levels a side, so a 1000-level snapshot is the whole book. */
export const MAX_LEVELS = 1000;
const MIN_LEVELS = 60;
const INITIAL_ORDERS = 500;
const MAX_WALK = 12;
const NEAR_LEVELS = 48;
const AGG_HISTORY = 50_000;

/** Best bid and ask after the update `updateId`; absent sides are undefined. */
export interface TopOfBook {
  readonly updateId: number;
  readonly time: number;
  readonly bid: number | undefined;
  readonly bidLots: number;
  readonly ask: number | undefined;
  readonly askLots: number;
}

/** Where a market's real-time outputs go; called synchronously, must not change the market. */
export interface MarketListener {
  trade(market: SymbolMarket, trade: Trade): void;
  aggTrade(market: SymbolMarket, agg: AggTrade): void;
  bookTicker(market: SymbolMarket, top: TopOfBook): void;
  klineClosed(market: SymbolMarket, kline: Kline, interval: string, time: number): void;
}

/**
 * Hands out order-book update ids. Spot ids are contiguous per symbol; USD-M futures ids come from
 * one engine-wide sequence and jump, which is why a futures client must chain on `pu`, not on `U`.
 */
export class UpdateIds {
  #last: number;
  readonly #maxStep: number;

  constructor(start: number, maxStep: number) {
    this.#last = start;
    this.#maxStep = maxStep;
  }

  get last(): number {
    return this.#last;
  }

  next(rng: Random): number {
    this.#last += this.#maxStep === 1 ? 1 : 1 + rng.int(this.#maxStep);
    return this.#last;
  }
}

export interface MarketSetup {
  readonly instrument: Instrument;
  readonly seed: number;
  /** Shared by all futures markets; undefined gives the market its own contiguous sequence. */
  readonly ids?: UpdateIds;
  /** Update speeds of the diff-depth streams, e.g. [100, 1000] for spot. */
  readonly diffIntervals: readonly number[];
  readonly now: number;
  readonly listener: MarketListener;
}

export class SymbolMarket {
  readonly instrument: Instrument;
  readonly bids: BookSide;
  readonly asks: BookSide;
  readonly klines = new Map<string, KlineSeries>();
  readonly aggHistory = new History<AggTrade>(AGG_HISTORY);
  readonly collectors: readonly DiffCollector[];
  /** Id and time of the last book change; the depth snapshot's lastUpdateId and futures `T`. */
  updateId: number;
  lastEventTime: number;
  tradeCount = 0;
  readonly #rng: Random;
  readonly #ids: UpdateIds;
  readonly #listener: MarketListener;
  readonly #aggs: AggTradeBuilder;
  readonly #sigma: number;
  readonly #nearMean: number;
  readonly #farMean: number;
  #fair: number;
  #nextTradeId: number;
  #taker = 0;
  #top: TopOfBook;
  #seeding = true;
  /** The resting order of an injected spoof, pulled at `until` or as soon as the price reaches it. */
  #spoof: { side: Side; price: number; lots: number; until: number } | undefined;

  constructor(setup: MarketSetup) {
    const inst = setup.instrument;
    this.instrument = inst;
    this.#listener = setup.listener;
    this.#rng = new Random(setup.seed, `${inst.kind}:${inst.symbol}`);
    const rng = this.#rng;
    this.#ids = setup.ids ?? new UpdateIds(40_000_000_000 + rng.int(10_000_000_000), 1);
    this.#nextTradeId = 1_000_000_000 + rng.int(3_000_000_000);
    this.#aggs = new AggTradeBuilder(
      inst.kind === MarketKinds.SPOT ? AggregationRules.TAKER : AggregationRules.WINDOW,
      500_000_000 + rng.int(1_000_000_000),
      (agg) => this.#onAggTrade(agg),
      setup.now,
    );
    this.#fair = inst.startTicks;
    // Daily volatility near 3%: 0.0001 of the price per sqrt(second).
    this.#sigma = inst.startTicks * 0.0001;
    this.#nearMean = Math.max(2, inst.startTicks * 0.00003);
    this.#farMean = Math.max(20, inst.startTicks * 0.004);
    const record = (side: Side, price: number, total: number): void => this.#levelChanged(side, price, total);
    this.bids = new BookSide(Sides.BID, record);
    this.asks = new BookSide(Sides.ASK, record);
    for (let i = 0; i < INITIAL_ORDERS; i++) {
      this.#placeLimit(setup.now, Sides.BID);
      this.#placeLimit(setup.now, Sides.ASK);
    }
    this.#seeding = false;
    this.updateId = this.#ids.last;
    this.lastEventTime = setup.now;
    this.collectors = setup.diffIntervals.map((ms) => new DiffCollector(ms, this.updateId));
    this.#top = this.#readTop();
    const intervals = inst.kind === MarketKinds.SPOT ? SPOT_INTERVALS : FUTURES_INTERVALS;
    for (const i of intervals) this.klines.set(i, new KlineSeries(i, setup.now, inst.startTicks));
  }

  get top(): TopOfBook {
    return this.#top;
  }

  /** Runs `dtMs` of order flow starting at `t0`; `intensity` multiplies every rate (the burst fault). */
  step(t0: number, dtMs: number, intensity: number): void {
    if (this.#spoof && t0 >= this.#spoof.until) this.#pullSpoof(t0);
    const rng = this.#rng;
    const seconds = dtMs / 1000;
    this.#fair += rng.normal() * this.#sigma * Math.sqrt(seconds * intensity);
    if (this.#fair < 10) this.#fair = 10;
    const rates = this.instrument.rates;
    let limits = rng.poisson(rates.limitPerSecond * intensity * seconds);
    let markets = rng.poisson(rates.marketPerSecond * intensity * seconds);
    const resting = this.bids.orderCount + this.asks.orderCount;
    let cancels = rng.poisson(rates.cancelPerOrderPerSecond * intensity * seconds * resting);
    const total = limits + markets + cancels;
    for (let i = 0; i < total; i++) {
      const t = t0 + Math.floor((i * dtMs) / total);
      const pick = rng.int(limits + markets + cancels);
      if (pick < limits) {
        limits--;
        this.#placeLimit(t, rng.chance(0.5) ? Sides.BID : Sides.ASK);
      } else if (pick < limits + markets) {
        markets--;
        this.#marketOrder(t);
      } else {
        cancels--;
        this.#cancel(t);
      }
    }
    const end = t0 + dtMs - 1;
    for (const book of [this.bids, this.asks])
      for (
        let i = book.depth;
        i < MIN_LEVELS && (book.side === Sides.ASK || (book.prices.at(-1) ?? 2) > 1);
        i++
      )
        this.#refill(end, book.side);
  }

  /** Time has reached `now`: closes klines and futures aggregation windows that ended. */
  advanceTo(now: number): void {
    this.#aggs.advanceTo(now);
    this.#advanceKlines(now);
  }

  /** The diff of the stream with this update speed since its last publication. */
  takeDiff(intervalMs: number): DepthDiff | undefined {
    return this.collectors.find((c) => c.intervalMs === intervalMs)?.take();
  }

  /** The top `limit` levels a side, as the depth endpoint answers. */
  depth(limit: number): { bids: [number, number][]; asks: [number, number][] } {
    const levels = (side: BookSide): [number, number][] =>
      side.prices.slice(0, limit).map((p) => [p, side.levels.get(p)!.total]);
    return { bids: levels(this.bids), asks: levels(this.asks) };
  }

  /**
   * A resting order at a distance from the fair value. Orders never cross: one priced at or through
   * the other side joins the touch instead, so a fair value beyond the touch tightens the spread
   * while the takers (leaning toward the fair value) move the price.
   */
  #placeLimit(t: number, side: Side): void {
    const rng = this.#rng;
    // Most orders sit at or near the fair value; a third spread far out and give the book its depth.
    const u = rng.next();
    const mean = u < 0.35 ? 1 : u < 0.7 ? this.#nearMean : this.#farMean;
    const distance = Math.floor(rng.exponential(mean));
    const fair = Math.round(this.#fair);
    let price = side === Sides.BID ? fair - distance : fair + distance;
    const bid = this.bids.best()?.price;
    const ask = this.asks.best()?.price;
    if (side === Sides.BID && ask !== undefined && price >= ask) price = ask - 1;
    if (side === Sides.ASK && bid !== undefined && price <= bid) price = bid + 1;
    this.#rest(t, side, price);
  }

  /** Keeps a thin side from emptying: a new level just beyond its farthest one. */
  #refill(t: number, side: Side): void {
    const book = side === Sides.BID ? this.bids : this.asks;
    const far = book.prices[book.prices.length - 1] ?? Math.round(this.#fair);
    const gap = 1 + Math.floor(this.#rng.exponential(this.#nearMean));
    this.#rest(t, side, side === Sides.BID ? far - gap : far + gap);
  }

  #rest(t: number, side: Side, price: number): void {
    const book = side === Sides.BID ? this.bids : this.asks;
    const lots = this.#size(this.instrument.typicalLots);
    this.#begin(t);
    book.add(Math.max(1, price), lots);
    if (book.depth > MAX_LEVELS) book.removeLevel(book.prices[book.prices.length - 1]!);
    this.#end(t);
  }

  /**
   * Cancels one resting order chosen uniformly, so every order has the same lifetime whatever its
   * level; but a third of the time a quote left on the wrong side of the fair value is pulled, as
   * market makers do when the price moves away from them.
   */
  #cancel(t: number): void {
    const rng = this.#rng;
    const fair = this.#fair;
    const bestBid = this.bids.best();
    const bestAsk = this.asks.best();
    const stale =
      bestAsk && bestAsk.price < fair - 1
        ? bestAsk
        : bestBid && bestBid.price > fair + 1
          ? bestBid
          : undefined;
    if (stale && rng.chance(1 / 3))
      return this.#cancelAt(
        t,
        stale === bestAsk ? this.asks : this.bids,
        stale.price,
        stale.orders.length - 1,
      );
    const bids = this.bids.orderCount;
    const total = bids + this.asks.orderCount;
    if (total === 0) return;
    let pick = rng.int(total);
    const book = pick < bids ? this.bids : this.asks;
    if (book === this.asks) pick -= bids;
    // Orders crowd the first levels, where the pick is found by counting; deeper levels hold one or
    // two orders each, so a uniform level there is close to a uniform order and costs no walk.
    const prices = book.prices;
    const near = Math.min(prices.length, NEAR_LEVELS);
    for (let i = 0; i < near; i++) {
      const level = book.levels.get(prices[i]!)!;
      if (pick < level.orders.length) return this.#cancelAt(t, book, level.price, pick);
      pick -= level.orders.length;
    }
    if (prices.length > near) {
      const level = book.levels.get(prices[near + rng.int(prices.length - near)]!)!;
      this.#cancelAt(t, book, level.price, rng.int(level.orders.length));
    }
  }

  #cancelAt(t: number, book: BookSide, price: number, index: number): void {
    this.#begin(t);
    book.cancel(price, index);
    this.#end(t);
  }

  #marketOrder(t: number): void {
    const rng = this.#rng;
    const bid = this.bids.best()?.price;
    const ask = this.asks.best()?.price;
    if (bid === undefined || ask === undefined) return;
    // Takers lean toward the fair value, which is how the price follows it.
    const lean = Math.max(-0.35, Math.min(0.35, (this.#fair - (bid + ask) / 2) / (this.#nearMean + 1)));
    const buy = rng.chance(0.5 + lean);
    const book = buy ? this.asks : this.bids;
    let remaining = this.#size(Math.max(1, Math.round(this.instrument.typicalLots / 3)));
    const taker = ++this.#taker;
    this.#begin(t);
    const onFill = (price: number, lots: number): void => this.#fill(t, price, lots, !buy, taker);
    for (let walked = 0; remaining > 0 && walked < MAX_WALK && book.depth > 0; walked++) {
      if (this.#spoof && book.best()?.price === this.#spoof.price && book.side === this.#spoof.side)
        this.#pullSpoof(t);
      remaining -= book.takeFromBest(remaining, onFill);
    }
    this.#aggs.takerDone();
    this.#end(t);
  }

  /**
   * Injected wash trading: `count` fills of one size whose taker side alternates, `gapMs` apart,
   * at the touch. Both legs belong to one party and cross at once, so the book never shows them.
   */
  washTrades(t: number, count: number, gapMs: number): void {
    const bid = this.bids.best()?.price;
    const ask = this.asks.best()?.price;
    if (bid === undefined || ask === undefined) return;
    const price = ask - bid > 1 ? Math.round((bid + ask) / 2) : bid;
    const lots = this.instrument.typicalLots;
    for (let i = 0; i < count; i++) {
      this.#fill(t + i * gapMs, price, lots, i % 2 === 1, ++this.#taker);
      this.#aggs.takerDone();
    }
  }

  /**
   * Injected spoofing: one order of `multiple` x the typical size on a fresh price just behind one
   * of the first levels of `side` (or joining the third level of a dense book), held `holdMs` and
   * then cancelled; it is pulled earlier if the price reaches it, so it never trades. Returns its
   * price in ticks (undefined: an empty side).
   */
  spoof(t: number, side: Side, multiple: number, holdMs: number): number | undefined {
    if (this.#spoof) this.#pullSpoof(t);
    const book = side === Sides.BID ? this.bids : this.asks;
    const step = side === Sides.BID ? -1 : 1;
    const prices = book.prices;
    let price: number | undefined;
    for (let i = 0; i + 1 < Math.min(prices.length, 4) && price === undefined; i++)
      if (Math.abs(prices[i + 1]! - prices[i]!) > 1) price = prices[i]! + step;
    // No gap near the top (a dense book): the order joins the third level instead.
    price ??= prices[Math.min(2, prices.length - 1)];
    if (price === undefined || price < 1) return undefined;
    const lots = Math.max(1, Math.round(this.instrument.typicalLots * multiple));
    this.#begin(t);
    book.add(price, lots);
    this.#end(t);
    this.#spoof = { side, price, lots, until: t + holdMs };
    return price;
  }

  /**
   * Injected price jump: the fair value moves `bps` basis points and one taker sweeps the book to
   * it at once (a fat finger or a liquidation), printing every level it takes.
   */
  priceJump(t: number, bps: number): void {
    this.#fair = Math.max(10, this.#fair * (1 + bps / 10_000));
    const target = Math.round(this.#fair);
    const buy = bps > 0;
    const book = buy ? this.asks : this.bids;
    const taker = ++this.#taker;
    this.#begin(t);
    const onFill = (price: number, lots: number): void => this.#fill(t, price, lots, !buy, taker);
    for (
      let best = book.best();
      best && (buy ? best.price < target : best.price > target);
      best = book.best()
    ) {
      if (this.#spoof?.side === book.side && this.#spoof.price === best.price) this.#pullSpoof(t);
      else book.takeFromBest(best.total, onFill);
    }
    this.#aggs.takerDone();
    this.#end(t);
  }

  #pullSpoof(t: number): void {
    const s = this.#spoof!;
    this.#spoof = undefined;
    const book = s.side === Sides.BID ? this.bids : this.asks;
    const index = book.levels.get(s.price)?.orders.lastIndexOf(s.lots) ?? -1;
    if (index >= 0) this.#cancelAt(t, book, s.price, index);
  }

  #fill(t: number, price: number, lots: number, buyerIsMaker: boolean, taker: number): void {
    const trade: Trade = { id: this.#nextTradeId++, price, lots, time: t, buyerIsMaker };
    this.tradeCount++;
    this.#advanceKlines(t);
    for (const series of this.klines.values()) series.add(trade);
    this.#aggs.advanceTo(t);
    this.#listener.trade(this, trade);
    this.#aggs.add(trade, taker);
  }

  #onAggTrade(agg: AggTrade): void {
    this.aggHistory.push(agg);
    this.#listener.aggTrade(this, agg);
  }

  #advanceKlines(now: number): void {
    for (const [interval, series] of this.klines)
      for (const closed of series.advanceTo(now)) this.#listener.klineClosed(this, closed, interval, now);
  }

  /** Lognormal around `median` lots: most orders small, a few large. */
  #size(median: number): number {
    return Math.max(1, Math.round(median * Math.exp(0.9 * this.#rng.normal() - 0.2)));
  }

  /** Every book-changing event gets the next update id before it touches the book. */
  #begin(t: number): void {
    if (this.#seeding) return;
    this.updateId = this.#ids.next(this.#rng);
    this.lastEventTime = t;
  }

  #end(t: number): void {
    if (this.#seeding) return;
    const old = this.#top;
    const b = this.bids.best();
    const a = this.asks.best();
    // Most events leave the top alone; only a change allocates a new TopOfBook.
    if (
      b?.price === old.bid &&
      (b?.total ?? 0) === old.bidLots &&
      a?.price === old.ask &&
      (a?.total ?? 0) === old.askLots
    )
      return;
    this.#top = this.#readTop(t);
    this.#listener.bookTicker(this, this.#top);
  }

  #levelChanged(side: Side, price: number, total: number): void {
    if (this.#seeding) return;
    for (const c of this.collectors) c.record(side, price, total, this.updateId);
  }

  #readTop(time = this.lastEventTime): TopOfBook {
    const b = this.bids.best();
    const a = this.asks.best();
    return {
      updateId: this.updateId,
      time,
      bid: b?.price,
      bidLots: b?.total ?? 0,
      ask: a?.price,
      askLots: a?.total ?? 0,
    };
  }
}
