// The component state machine every service runs through, visible to /health, metrics and queue-events.

import { type ComponentState, ComponentStates } from './observability/states.ts';

export { type ComponentState, ComponentStates };

const S = ComponentStates;

/** Which state may follow which: anything else is a bug in the runtime and throws. */
const allowed: Readonly<Record<ComponentState, readonly ComponentState[]>> = {
  starting: [S.RUNNING, S.STOPPING, S.FAILED],
  running: [S.PAUSED, S.DEGRADED, S.STOPPING, S.FAILED],
  paused: [S.RUNNING, S.DEGRADED, S.STOPPING, S.FAILED],
  degraded: [S.RUNNING, S.PAUSED, S.STOPPING, S.FAILED],
  stopping: [S.STOPPED, S.FAILED],
  stopped: [],
  failed: [],
};

export type StateListener = (next: ComponentState, previous: ComponentState, reason?: string) => void;

export class Lifecycle {
  #state: ComponentState = S.STARTING;
  #reason: string | undefined;
  readonly #listeners: StateListener[] = [];
  readonly #name: string;

  constructor(name: string) {
    this.#name = name;
  }

  get state(): ComponentState {
    return this.#state;
  }

  /** Why the component is degraded or failed, if it is. */
  get reason(): string | undefined {
    return this.#reason;
  }

  get isFinal(): boolean {
    return this.#state === S.STOPPED || this.#state === S.FAILED;
  }

  onChange(listener: StateListener): void {
    this.#listeners.push(listener);
  }

  /** Moves to `next`; a move to the current state is a no-op. */
  to(next: ComponentState, reason?: string): void {
    const previous = this.#state;
    if (next === previous) return;
    if (!allowed[previous].includes(next))
      throw new Error(`${this.#name}: the state cannot go from ${previous} to ${next}`);
    this.#state = next;
    this.#reason = next === S.DEGRADED || next === S.FAILED ? reason : undefined;
    for (const listener of this.#listeners) listener(next, previous, reason);
  }

  /** Like `to`, but ignores a move the machine does not allow (e.g. degraded while stopping). */
  tryTo(next: ComponentState, reason?: string): boolean {
    if (next !== this.#state && !allowed[this.#state].includes(next)) return false;
    this.to(next, reason);
    return true;
  }
}
