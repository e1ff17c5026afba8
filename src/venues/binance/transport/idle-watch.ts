// Notices a WebSocket that has gone quiet: probes it with a ping at half the idle timeout, declares it dead at the full timeout.

export interface IdleWatchActions {
  /** Half the timeout without a sign of life: send one ping (a live server answers with a pong). */
  probe(): void;
  /** The whole timeout without a sign of life. */
  dead(silentMs: number): void;
}

/**
 * TCP can take many minutes to notice a dead peer (a dropped NAT entry, a frozen load balancer);
 * the market moves on meanwhile. Any frame, ping or pong counts as a sign of life. The probe keeps
 * connections of quiet streams from looking dead as long as the server still answers.
 */
export class IdleWatch {
  readonly #idleMs: number;
  readonly #actions: IdleWatchActions;
  #lastHeardAt = Date.now();
  #probing = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(idleMs: number, actions: IdleWatchActions) {
    this.#idleMs = idleMs;
    this.#actions = actions;
  }

  start(): void {
    this.heard();
    // Checking eight times per timeout finds a dead connection at most 1/8 of the timeout late.
    this.#timer = setInterval(() => this.#check(), Math.max(20, Math.floor(this.#idleMs / 8)));
    this.#timer.unref();
  }

  heard(at: number = Date.now()): void {
    this.#lastHeardAt = at;
    this.#probing = false;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #check(): void {
    const silent = Date.now() - this.#lastHeardAt;
    if (silent >= this.#idleMs) {
      this.stop();
      this.#actions.dead(silent);
    } else if (silent >= this.#idleMs / 2 && !this.#probing) {
      this.#probing = true;
      this.#actions.probe();
    }
  }
}
