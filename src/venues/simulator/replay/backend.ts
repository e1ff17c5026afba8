// Replay mode: serves recorded Binance spot captures to stream subscribers at x1, xN or full speed.

import { access } from 'node:fs/promises';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { readCapture } from '../../capture/index.ts';
import { type FaultState } from '../faults.ts';
import {
  instrumentFor,
  type Instrument,
  type MarketKind,
  MarketKinds,
  unitInstrument,
} from '../model/instruments.ts';
import { type AggTradeQuery, type MarketSource, selectAggTrades } from '../rest/source.ts';
import { type StreamHub } from '../streams/hub.ts';
import { aggTradeRow, klineRow } from '../streams/payloads.ts';
import { mergeCaptures } from './merge.ts';
import { isTradePayload, ReplayTrades } from './trades.ts';

export interface ReplayOptions {
  readonly files: readonly string[];
  readonly speed: number | 'max';
}

export interface ReplayStats {
  readonly started: boolean;
  readonly done: boolean;
  readonly framesReplayed: number;
  readonly files: readonly string[];
  readonly error?: string;
}

export interface ReplayBackend {
  readonly source: MarketSource;
  stats(): ReplayStats;
  stop(): void;
}

interface Snapshot {
  readonly receivedAt: number;
  readonly body: string;
}

const ENVELOPE = /^\{"stream":"([^"]+)","data":/;
/** At full speed, wait while a subscriber has this much unsent. */
const MAX_BUFFERED = 4 * 1024 * 1024;

/** What the files hold: the symbols their streams name and each symbol's depth snapshots. */
async function scan(
  files: readonly string[],
): Promise<{ symbols: string[]; snapshots: Map<string, Snapshot[]> }> {
  const symbols = new Set<string>();
  const snapshots = new Map<string, Snapshot[]>();
  for (const file of files)
    for await (const frame of readCapture(file)) {
      if (frame.kind === 'rest') {
        const url = new URL(frame.source, 'http://capture');
        const symbol = url.searchParams.get('symbol');
        if (url.pathname !== '/api/v3/depth' || !symbol)
          throw new Error(
            `${file}: replay serves spot depth snapshots only, found a REST body for ${frame.source}`,
          );
        const list = snapshots.get(symbol) ?? [];
        list.push({ receivedAt: frame.receivedAt, body: frame.body });
        snapshots.set(symbol, list);
        continue;
      }
      const stream = ENVELOPE.exec(frame.body)?.[1];
      if (stream?.includes('@')) symbols.add(stream.slice(0, stream.indexOf('@')).toUpperCase());
    }
  if (symbols.size === 0)
    throw new Error(`no combined-stream frames in ${files.join(', ')}: nothing to replay`);
  return { symbols: [...symbols], snapshots };
}

export async function startReplayBackend(
  options: ReplayOptions,
  hubs: Readonly<Record<MarketKind, StreamHub>>,
  faults: FaultState,
): Promise<ReplayBackend> {
  const { files, speed } = options;
  if (files.length === 0) throw new RangeError('replay: name at least one capture file');
  if (speed !== 'max' && (typeof speed !== 'number' || !Number.isFinite(speed) || speed <= 0))
    throw new RangeError(`replay: speed must be a positive number or "max", got ${String(speed)}`);
  for (const f of files)
    await access(f).catch(() => Promise.reject(new Error(`replay: cannot read capture file ${f}`)));
  const { symbols, snapshots } = await scan(files);
  const instruments = symbols.map((s) => instrumentFor(MarketKinds.SPOT, s));
  const trades = new Map(symbols.map((s) => [s, new ReplayTrades(unitInstrument(s))]));
  const seen = new Map<string, string>(); // latest snapshot replayed so far, per symbol
  const hub = hubs.spot;
  let started = false;
  let done = false;
  let stopped = false;
  let replayed = 0;
  let failure: string | undefined;
  let wake: (() => void) | undefined;
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const play = async (): Promise<void> => {
    const wallStart = performance.now();
    let firstNs: bigint | undefined;
    for await (const frame of mergeCaptures(files)) {
      if (stopped) return;
      const ns = frame.receivedAtNs ?? BigInt(frame.receivedAt) * 1_000_000n;
      firstNs ??= ns;
      if (speed === 'max') {
        if (replayed % 512 === 0) await yieldToLoop();
        while (!stopped && hub.maxBuffered() > MAX_BUFFERED) await sleep(5);
      } else {
        const wait = wallStart + Number(ns - firstNs) / 1e6 / speed - performance.now();
        if (wait >= 1) await sleep(wait);
      }
      if (stopped) return;
      if (frame.kind === 'rest') {
        const symbol = new URL(frame.source, 'http://capture').searchParams.get('symbol');
        if (symbol) seen.set(symbol, frame.body);
        continue;
      }
      const m = ENVELOPE.exec(frame.body);
      if (!m) continue;
      const stream = m[1]!;
      const at = stream.indexOf('@');
      const symbol = stream.slice(0, at).toUpperCase();
      // The sequenceGap fault loses the next recorded diff, as it does the model's.
      const depth = stream.slice(at + 1);
      const speedMs =
        depth === 'depth@100ms' ? 100 : depth === 'depth' || depth === 'depth@1000ms' ? 1000 : 0;
      if (speedMs > 0 && faults.takeGap(MarketKinds.SPOT, symbol, speedMs)) continue;
      // The combined frame goes out byte for byte; raw subscribers get the payload text inside it.
      hub.publish(stream, frame.body.slice(m[0].length, -1), frame.body);
      replayed++;
      if (stream.endsWith('@trade')) {
        const data: unknown = JSON.parse(frame.body.slice(m[0].length, -1));
        if (isTradePayload(data)) trades.get(symbol)?.add(data);
      }
    }
    for (const t of trades.values()) t.finish();
    done = true;
  };

  hub.onFirstSubscriber = () => {
    if (started) return;
    started = true;
    play().catch((error: unknown) => {
      failure = error instanceof Error ? error.message : String(error);
      done = true;
    });
  };

  const source: MarketSource = {
    instruments: (kind) => (kind === MarketKinds.SPOT ? instruments : []),
    depthBody(inst: Instrument, limit: number): string {
      const body = seen.get(inst.symbol) ?? snapshots.get(inst.symbol)?.[0]?.body;
      if (body === undefined) return '{"lastUpdateId":0,"bids":[],"asks":[]}';
      const parsed = JSON.parse(body) as { lastUpdateId: number; bids: unknown[]; asks: unknown[] };
      if (parsed.bids.length <= limit && parsed.asks.length <= limit) return body;
      return JSON.stringify({
        ...parsed,
        bids: parsed.bids.slice(0, limit),
        asks: parsed.asks.slice(0, limit),
      });
    },
    klineRows(inst, interval, startTime, endTime, limit) {
      const t = trades.get(inst.symbol)!;
      const series = t.klines.get(interval);
      return series ? series.query(startTime, endTime, limit).map((k) => klineRow(t.unit, k)) : [];
    },
    aggTradeRows(inst, q: AggTradeQuery) {
      const t = trades.get(inst.symbol)!;
      return selectAggTrades(t.aggHistory, q).map((a) => aggTradeRow(t.unit, a));
    },
  };

  return {
    source,
    stats: () => ({ started, done, framesReplayed: replayed, files, ...(failure ? { error: failure } : {}) }),
    stop() {
      stopped = true;
      wake?.();
    },
  };
}
