// The logging and metrics shapes the runtime writes to; the observability module implements them.

import { type ServiceMetrics } from './observability/metrics.ts';

/** Structured logging, pino-shaped: a context object first, then the message. */
export interface RuntimeLogger {
  debug(context: object, message: string): void;
  info(context: object, message: string): void;
  warn(context: object, message: string): void;
  error(context: object, message: string): void;
}

/**
 * What the runtime counts and measures about one service instance: the observability module's
 * service metrics without their bookkeeping, so tests and tools can pass `noMetrics`.
 */
export type RuntimeMetrics = Omit<ServiceMetrics, 'identity' | 'clearAllLag'>;

const noop = (): void => undefined;

export const silentLogger: RuntimeLogger = { debug: noop, info: noop, warn: noop, error: noop };

export const noMetrics: RuntimeMetrics = {
  recordsIn: noop,
  recordsOut: noop,
  error: noop,
  deadLettered: noop,
  retried: noop,
  observeHandler: noop,
  setLag: noop,
  clearLag: noop,
  rebalance: noop,
  observeRestore: noop,
  setState: noop,
  commit: noop,
};
