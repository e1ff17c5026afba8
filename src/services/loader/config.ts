// The loader's settings from the environment, checked, with errors that name the variable and how to fix it.

import { intervalsOf } from '../../venues/binance/intervals.ts';
import { type LoaderOptions } from './index.ts';
import { type Channel, channelNames } from './streams.ts';

/** Binance's public endpoints, used with STREAMFORGE_LIVE=1. */
export const BINANCE_LIVE = {
  binance: { restUrl: 'https://api.binance.com', wsUrl: 'wss://stream.binance.com:9443' },
  'binance-futures': { restUrl: 'https://fapi.binance.com', wsUrl: 'wss://fstream.binance.com' },
} as const;

/** The built-in simulator's endpoints at its default port (`streamforge simulator`). */
export const SIMULATOR_DEFAULT = {
  binance: { restUrl: 'http://127.0.0.1:8090', wsUrl: 'ws://127.0.0.1:8090' },
  'binance-futures': { restUrl: 'http://127.0.0.1:8090', wsUrl: 'ws://127.0.0.1:8090/fstream' },
} as const;

const SYMBOL = /^[A-Z0-9]{2,20}$/;

function list(env: NodeJS.ProcessEnv, name: string, fallback: string): string[] {
  return (env[name] ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * STREAMFORGE_LOADER_EXCHANGE (binance | binance-futures), STREAMFORGE_SYMBOLS, STREAMFORGE_CHANNELS,
 * STREAMFORGE_KLINE_INTERVALS, STREAMFORGE_LIVE=1 (real Binance) or STREAMFORGE_BINANCE_REST_URL /
 * STREAMFORGE_BINANCE_WS_URL (default: the simulator on 127.0.0.1:8090).
 */
export function loaderOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): LoaderOptions {
  const exchange = env['STREAMFORGE_LOADER_EXCHANGE'] ?? 'binance';
  if (exchange !== 'binance' && exchange !== 'binance-futures')
    throw new Error(`STREAMFORGE_LOADER_EXCHANGE=${exchange}: the loader serves binance or binance-futures`);
  const symbols = list(env, 'STREAMFORGE_SYMBOLS', 'BTCUSDT,ETHUSDT');
  const badSymbol = symbols.find((s) => !SYMBOL.test(s));
  if (badSymbol !== undefined || symbols.length === 0)
    throw new Error(
      `STREAMFORGE_SYMBOLS: "${badSymbol ?? ''}" is not a Binance symbol; give upper-case symbols separated by commas (BTCUSDT,ETHUSDT)`,
    );
  const channels = list(env, 'STREAMFORGE_CHANNELS', 'trades,book,klines,instruments');
  const badChannel = channels.find((c) => !channelNames.includes(c as Channel));
  if (badChannel !== undefined)
    throw new Error(`STREAMFORGE_CHANNELS: "${badChannel}" is not a channel; use ${channelNames.join(', ')}`);
  const intervals = list(env, 'STREAMFORGE_KLINE_INTERVALS', '1m');
  const badInterval = intervals.find((i) => !intervalsOf(exchange).includes(i));
  if (badInterval !== undefined)
    throw new Error(
      `STREAMFORGE_KLINE_INTERVALS: "${badInterval}" is not a Binance kline interval (1m, 5m, 1h, ...)`,
    );
  const base = env['STREAMFORGE_LIVE'] === '1' ? BINANCE_LIVE[exchange] : SIMULATOR_DEFAULT[exchange];
  return {
    exchange,
    restUrl: env['STREAMFORGE_BINANCE_REST_URL'] ?? base.restUrl,
    wsUrl: env['STREAMFORGE_BINANCE_WS_URL'] ?? base.wsUrl,
    symbols,
    channels: channels as Channel[],
    klineIntervals: intervals,
  };
}
