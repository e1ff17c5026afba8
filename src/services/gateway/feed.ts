// Reads the dashboard's topics as a broadcast consumer: every partition assigned (no group), started a short history back.

import { type BusRecord, type Consumer, type TopicPartition } from '../../bus/types.ts';
import { decode, isContractError, type JsonProduct } from '../../contracts/index.ts';
import { type CandleInterval } from '../../contracts/schema/candles.ts';
import { ensureTopics } from '../../runtime/index.ts';
import { type ResolvedGatewayOptions } from './options.ts';
import { type MarketState } from './state.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * How far back each topic is read at start, so a fresh page has something to draw. Candles are
 * further capped by `candleHistory` per instrument.
 */
const CANDLE_HISTORY_MS: Readonly<Record<CandleInterval, number>> = {
  '1s': 10 * MINUTE,
  '1m': 8 * HOUR,
  '5m': 48 * HOUR,
  '1h': 21 * 24 * HOUR,
};
const LIVE_HISTORY_MS = MINUTE;
const ALERT_HISTORY_MS = 24 * HOUR;
const EVENT_HISTORY_MS = 10 * MINUTE;

export interface FeedCounts {
  /** Records read, per topic. */
  readonly records: Record<string, number>;
  /** Records that failed decoding (wrong schema, broken JSON): skipped here, the DLQ is the producer's. */
  decodeErrors: number;
  polls: number;
}

type Route = (record: BusRecord) => void;

export class BusFeed {
  readonly counts: FeedCounts = { records: {}, decodeErrors: 0, polls: 0 };
  readonly #o: ResolvedGatewayOptions;
  readonly #routes = new Map<string, Route>();
  #consumer: Consumer | null = null;
  #loop: Promise<void> | null = null;
  #stopped = false;
  #lastReport = 0;
  #heldBack = 0;

  constructor(options: ResolvedGatewayOptions, state: MarketState) {
    this.#o = options;
    const t = options.topics;
    const s = state;
    const c = state.conflated;
    this.#route(t.bookTop, (v) => s.instrument(v.exchange, v.symbol).setTop(v, c));
    this.#route(t.bookDepth, (v) => s.instrument(v.exchange, v.symbol).setDepth(v, c));
    this.#route(t.trades, (v) => s.instrument(v.exchange, v.symbol).addTrade(v, s.maxTradesPerFrame, c));
    for (const [interval, product] of Object.entries(t.candles) as [CandleInterval, JsonProduct][])
      this.#route(product as (typeof t.candles)['1m'], (v) =>
        s.instrument(v.exchange, v.symbol).addCandle(interval, v, c),
      );
    this.#route(t.alerts, (v) => {
      s.instrument(v.exchange, v.symbol);
      s.alerts.push(v);
    });
    this.#route(t.queueEvents, (v) => s.events.push(v));
  }

  #route<T>(product: JsonProduct<T>, apply: (value: T) => void): void {
    this.counts.records[product.topic] = 0;
    this.#routes.set(product.topic, (record) => {
      this.counts.records[product.topic]!++;
      let value: T;
      try {
        value = decode(product, record).value;
      } catch (error) {
        if (!isContractError(error)) throw error;
        this.counts.decodeErrors++;
        this.#report(`skipped a record of ${product.topic}: ${error.message}`);
        return;
      }
      apply(value);
    });
  }

  /** At most one line per 5 s (with how many were held back): a flood of bad records must not flood the log. */
  #report(line: string): void {
    const now = Date.now();
    if (now - this.#lastReport < 5000) {
      this.#heldBack++;
      return;
    }
    this.#o.log(
      this.#heldBack > 0 ? `${line} (and ${this.#heldBack} more problems since the last report)` : line,
    );
    this.#lastReport = now;
    this.#heldBack = 0;
  }

  /** The topics read and how far back each starts. */
  #plan(): Array<{ product: JsonProduct; backMs: number }> {
    const t = this.#o.topics;
    return [
      ...(Object.entries(t.candles) as [CandleInterval, JsonProduct][]).map(([i, product]) => ({
        product,
        backMs: CANDLE_HISTORY_MS[i],
      })),
      { product: t.bookTop, backMs: LIVE_HISTORY_MS },
      { product: t.bookDepth, backMs: LIVE_HISTORY_MS },
      { product: t.trades, backMs: LIVE_HISTORY_MS },
      { product: t.alerts, backMs: ALERT_HISTORY_MS },
      { product: t.queueEvents, backMs: EVENT_HISTORY_MS },
    ] as Array<{ product: JsonProduct; backMs: number }>;
  }

  async start(): Promise<void> {
    const plan = this.#plan();
    await ensureTopics(
      this.#o.bus,
      plan.map((p) => p.product),
    );
    const admin = this.#o.bus.admin();
    let described;
    try {
      described = await admin.describeTopics(plan.map((p) => p.product.topic));
    } finally {
      await admin.close();
    }
    const consumer = this.#o.bus.consumer({ clientId: 'gateway', maxPollRecords: 5000 });
    this.#consumer = consumer;
    const byTopic = new Map<string, TopicPartition[]>();
    for (const d of described)
      byTopic.set(
        d.name,
        d.partitions.map((p) => ({ topic: d.name, partition: p.partition })),
      );
    await consumer.assign([...byTopic.values()].flat());
    const now = Date.now();
    for (const { product, backMs } of plan)
      await consumer.seekToTimestamp(now - backMs, byTopic.get(product.topic) ?? []);
    this.#loop = this.#run(consumer);
  }

  async #run(consumer: Consumer): Promise<void> {
    while (!this.#stopped) {
      let records: BusRecord[];
      try {
        records = await consumer.poll({ timeoutMs: 250, maxRecords: 5000 });
      } catch (error) {
        if (this.#stopped) return;
        this.#o.log(`reading the topics failed, retrying in 1 s: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      this.counts.polls++;
      for (const r of records) {
        try {
          this.#routes.get(r.topic)?.(r);
        } catch (error) {
          // A viewer must not die of one record it cannot show; the record stays on the log.
          this.counts.decodeErrors++;
          this.#report(`skipped a record of ${r.topic}: ${(error as Error).message}`);
        }
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
    await this.#consumer?.close();
  }
}
