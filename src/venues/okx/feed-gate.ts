// Paces new OKX connections under the exchange's limit of 3 connection requests per second per IP.

const WINDOW_MS = 1000;

export class ConnectPacer {
  readonly #perSecond: number;
  readonly #recent: number[] = [];

  constructor(perSecond: number) {
    this.#perSecond = perSecond;
  }

  /** Ms to wait before the next connection attempt; 0 means go now, and the attempt is counted. */
  claim(now: number = Date.now()): number {
    while (this.#recent.length > 0 && now - this.#recent[0]! >= WINDOW_MS) this.#recent.shift();
    if (this.#recent.length >= this.#perSecond) return this.#recent[0]! + WINDOW_MS - now + 1;
    this.#recent.push(now);
    return 0;
  }
}
