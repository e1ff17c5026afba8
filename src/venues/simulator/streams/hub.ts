// Who is subscribed to which stream on one API (spot or USD-M), and the fan-out of each frame to them.

import { type MarketKind } from '../model/instruments.ts';
import { envelope } from './payloads.ts';

/** The side of a connection the hub needs: it takes frames already shaped for raw or combined use. */
export interface Subscriber {
  readonly combined: boolean;
  /** Bytes written but not yet taken by the network. */
  readonly buffered: number;
  deliver(text: string): void;
}

export class StreamHub {
  readonly kind: MarketKind;
  readonly #subscribers = new Map<string, Set<Subscriber>>();
  #subscriptions = 0;
  /** Called when a stream gets its first subscriber (replay starts its clock on it). */
  onFirstSubscriber: ((stream: string) => void) | undefined;

  constructor(kind: MarketKind) {
    this.kind = kind;
  }

  get subscriptions(): number {
    return this.#subscriptions;
  }

  get activeStreams(): number {
    return this.#subscribers.size;
  }

  /** Producers check this before building a payload nobody would receive. */
  has(stream: string): boolean {
    return this.#subscribers.has(stream);
  }

  add(subscriber: Subscriber, stream: string): void {
    let set = this.#subscribers.get(stream);
    const first = !set;
    if (!set) this.#subscribers.set(stream, (set = new Set()));
    if (set.has(subscriber)) return;
    set.add(subscriber);
    this.#subscriptions++;
    if (first) this.onFirstSubscriber?.(stream);
  }

  delete(subscriber: Subscriber, stream: string): void {
    const set = this.#subscribers.get(stream);
    if (!set?.delete(subscriber)) return;
    this.#subscriptions--;
    if (set.size === 0) this.#subscribers.delete(stream);
  }

  /** The most any subscriber has buffered (a replay at full speed waits for slow readers). */
  maxBuffered(): number {
    let max = 0;
    for (const set of this.#subscribers.values()) for (const s of set) if (s.buffered > max) max = s.buffered;
    return max;
  }

  /** Sends `data` to every subscriber; combined connections get it in the `{"stream","data"}` envelope. */
  publish(stream: string, data: string, wrapped?: string): void {
    const set = this.#subscribers.get(stream);
    if (!set) return;
    let combined = wrapped;
    for (const s of set) s.deliver(s.combined ? (combined ??= envelope(stream, data)) : data);
  }
}
