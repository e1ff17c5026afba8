// When a crashed replica is restarted: exponential backoff with jitter, reset after a healthy run, and a crash-loop limit.

export interface RestartPolicy {
  /** Delay before the first restart after a crash. */
  readonly initialMs: number;
  /** Longest delay. */
  readonly maxMs: number;
  /** Each consecutive crash multiplies the delay by this. Default 2. */
  readonly factor: number;
  /** The delay is spread by +-this fraction so that replicas crashed together do not restart together. Default 0.2. */
  readonly jitter: number;
  /** A replica that ran this long before crashing was healthy: its next delay starts from `initialMs` again. */
  readonly healthyAfterMs: number;
  /** More crashes than this within `crashLoopWindowMs` and the supervisor gives up on the replica. */
  readonly crashLoopRestarts: number;
  readonly crashLoopWindowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialMs: 500,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.2,
  healthyAfterMs: 30_000,
  crashLoopRestarts: 5,
  crashLoopWindowMs: 60_000,
};

export type CrashVerdict =
  | { readonly restart: true; readonly delayMs: number; readonly attempt: number }
  | { readonly restart: false; readonly crashes: number };

/** The crash history of one replica slot. */
export class CrashHistory {
  readonly #policy: RestartPolicy;
  readonly #random: () => number;
  #attempt = 0;
  #crashes: number[] = [];

  constructor(policy: RestartPolicy, random: () => number = Math.random) {
    this.#policy = policy;
    this.#random = random;
  }

  /** Records a crash at `now` of a process that had run `uptimeMs`, and says whether (and when) to restart. */
  crashed(now: number, uptimeMs: number): CrashVerdict {
    const p = this.#policy;
    if (uptimeMs >= p.healthyAfterMs) this.#attempt = 0;
    this.#crashes = this.#crashes.filter((t) => now - t < p.crashLoopWindowMs);
    this.#crashes.push(now);
    if (this.#crashes.length > p.crashLoopRestarts) return { restart: false, crashes: this.#crashes.length };
    this.#attempt++;
    const base = Math.min(p.maxMs, p.initialMs * p.factor ** (this.#attempt - 1));
    const spread = 1 + p.jitter * (2 * this.#random() - 1);
    return { restart: true, delayMs: Math.round(Math.min(p.maxMs, base * spread)), attempt: this.#attempt };
  }
}
