// What every resilience scenario shares: progress lines, and the verdict a test asserts and a demo prints.

/** Receives one human-readable line per step (a demo prints them; a test adds them to its diagnostics). */
export type Progress = (line: string) => void;

export const silentProgress: Progress = () => undefined;

/** The outcome of a scenario: what was compared and every difference found (empty means it held). */
export interface ScenarioVerdict {
  readonly scenario: string;
  readonly backend: string;
  /** What was compared, in words, with counts: printed by the demo. */
  readonly checks: readonly string[];
  /** Each difference between what the scenario produced and its reference; empty when it passed. */
  readonly differences: readonly string[];
}
