// The resilience scenarios, each one function that a test and `streamforge demo` both run.

export { type BootstrapOptions, type BootstrapResult, runBootstrap } from './bootstrap.ts';
export { type BrokerDeathOptions, type BrokerDeathResult, runBrokerDeath } from './broker-death.ts';
export { createBrokenCandles } from './broken-candles.ts';
export { type CapturedTrades, DEFAULT_CAPTURES_DIR, loadCapturedTrades } from './data.ts';
export { type FailureDelayOptions, type FailureDelayResult, runFailureDelay } from './failure-delay.ts';
export { type RewindResult, rewindChangelog } from './rewind.ts';
export { type TimeTravelOptions, type TimeTravelResult, runTimeTravel } from './time-travel.ts';
export { type Progress, type ScenarioVerdict, silentProgress } from './types.ts';

/** The scenarios by the name `streamforge demo` takes. */
export const SCENARIOS = {
  'failure-delay':
    'stop candles while trades keep flowing, restart it: it catches up to an uninterrupted run',
  'time-travel':
    'a broken candles deploy, reset to a datetime, the fix reprocesses: topic and database right again',
  'broker-death':
    'SIGKILL the busiest leader of a 3-broker cluster mid-stream: every trade stored exactly once',
  bootstrap:
    'a candles service started later in a new group reads history and reaches the same candles and state',
} as const;
export type ScenarioName = keyof typeof SCENARIOS;
