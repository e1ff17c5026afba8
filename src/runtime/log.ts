// The logging and metrics shapes the runtime writes to; the observability module implements them.

/** Structured logging, pino-shaped: a context object first, then the message. */
export interface RuntimeLogger {
  debug(context: object, message: string): void;
  info(context: object, message: string): void;
  warn(context: object, message: string): void;
  error(context: object, message: string): void;
}

/** What the runtime counts and measures about one service instance. */
export interface RuntimeMetrics {
  recordsIn(topic: string, count: number): void;
  recordsOut(topic: string, count: number): void;
  error(kind: string): void;
  deadLettered(topic: string, code: string): void;
  retried(topic: string): void;
  observeHandler(seconds: number): void;
  setLag(topic: string, partition: number, lag: number): void;
  clearLag(topic: string, partition: number): void;
  rebalance(): void;
  observeRestore(store: string, seconds: number, records: number): void;
  setState(state: string): void;
  commit(count: number): void;
}

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
