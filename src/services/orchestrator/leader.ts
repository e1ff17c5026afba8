// Leader election among orchestrator instances by Kafka's own group protocol: whoever holds partition 0 of orchestrator.leaders leads.

import { randomBytes } from 'node:crypto';
import { type Bus, type BusRecord, type Producer } from '../../bus/types.ts';
import {
  decode,
  encode,
  type JsonProduct,
  LeaderStates,
  type OrchestratorLeader,
  type ProducerIdentity,
} from '../../contracts/index.ts';
import { type RuntimeLogger } from '../../runtime/index.ts';
import { errorMessage } from '../../runtime/retry.ts';

/** How long a claim may take to come back before another is written. */
const RECLAIM_MS = 5000;

export interface ElectionOptions {
  readonly bus: Bus;
  readonly product: JsonProduct<OrchestratorLeader>;
  /** The orchestrator's name; the election group is `<name>-leader`. */
  readonly name: string;
  readonly identity: ProducerIdentity;
  /** The API this instance serves, announced with its claims. */
  readonly url: () => string | null;
  /** A member silent for this long loses its partition (a crashed leader is replaced after it). */
  readonly sessionTimeoutMs: number;
  readonly log: RuntimeLogger;
  /** Starts acting. Runs beside the election's polling, so a slow start never stalls the group. */
  readonly lead: () => Promise<void>;
  /** Stops acting: resolves once nothing more is sent (outputs flushed, offsets committed). */
  readonly resign: (why: string) => Promise<void>;
}

/**
 * Every instance joins the group `<name>-leader` on the one-partition `orchestrator.leaders`;
 * the group coordinator gives that partition to exactly one member. Holding it is not yet enough:
 * a rebalance may be under way that hands it to someone else. So the holder writes a claim (a
 * unique term) to the partition and leads only once it reads that claim back through its group
 * consumer: records come only with an assignment the group has completed (on Kafka none while
 * rejoining; on the embedded log a partition moves only after its owner released it).
 *
 * It stops acting before it can lose the partition: on Kafka when a rebalance starts, before this
 * member rejoins (the group cannot complete, so no one else can be given the partition, until
 * it has); on both when the partition is revoked. A leader that keeps the partition through a
 * rebalance claims again and resumes once it reads the new claim back.
 */
export class LeaderElection {
  readonly #o: ElectionOptions;
  #producer: Producer | null = null;
  /** The claim written and not yet read back, and when it was written. */
  #pending: string | null = null;
  #pendingSince = 0;
  #terms = 0;
  /** Tells this run's claims from those of another process that has the same instance id. */
  readonly #nonce = randomBytes(6).toString('hex');
  #leading = false;
  /** The start or stop of acting under way; a resignation waits for a start to finish first. */
  #transition: Promise<void> = Promise.resolve();
  #failure: unknown = null;
  #abandoned = false;

  constructor(options: ElectionOptions) {
    this.#o = options;
  }

  get leading(): boolean {
    return this.#leading;
  }

  /** Runs until `signal` aborts, then resigns and leaves the group. */
  async run(signal: AbortSignal): Promise<void> {
    const { bus, product, name, identity } = this.#o;
    const partition0 = { topic: product.topic, partition: 0 };
    this.#producer = bus.producer({ clientId: `${identity.instance}-election`, lingerMs: 0 });
    const consumer = bus.consumer({
      groupId: `${name}-leader`,
      clientId: `${identity.instance}-election`,
      autoOffsetReset: 'latest',
      sessionTimeoutMs: this.#o.sessionTimeoutMs,
      maxPollRecords: 100,
    });
    const holds = (partitions: readonly { topic: string; partition: number }[]): boolean =>
      partitions.some((p) => p.topic === partition0.topic && p.partition === 0);
    try {
      await consumer.subscribe([product.topic], {
        onRebalancing: (partitions) => (holds(partitions) ? this.#stepDown('a rebalance began') : undefined),
        onRevoked: (partitions) =>
          holds(partitions) ? this.#stepDown('partition 0 was revoked') : undefined,
      });
      while (!signal.aborted && !this.#abandoned) {
        if (this.#failure !== null) throw this.#failure;
        let records: BusRecord[];
        try {
          records = await consumer.poll({ timeoutMs: 200 });
        } catch (error) {
          if (signal.aborted) break;
          this.#o.log.warn({ err: errorMessage(error) }, 'leader election: poll failed; retrying');
          await new Promise((resolve) => setTimeout(resolve, 500));
          continue;
        }
        const seen = records.some((r) => this.#isOwnClaim(r));
        if (records.length > 0)
          // Where to read from after a rebalance that keeps the partition here: no claim is skipped.
          await consumer.commit().catch((error: unknown) => {
            this.#o.log.debug({ err: errorMessage(error) }, 'leader election: commit failed');
          });
        if (signal.aborted) break;
        if (!holds(consumer.assignment())) {
          this.#pending = null;
          continue;
        }
        if (this.#leading) continue;
        if (seen) {
          this.#pending = null;
          this.#leading = true;
          this.#transition = this.#transition
            .then(async () => {
              if (!this.#leading) return;
              this.#o.log.info({}, 'leader election: leading');
              await this.#announce(LeaderStates.LEADING, this.#terms);
              await this.#o.lead();
            })
            .catch((error: unknown) => this.fail(error));
          continue;
        }
        // A claim not read back in time was skipped (a rebalance reset the position past it): claim again.
        if (this.#pending === null || Date.now() - this.#pendingSince > RECLAIM_MS) await this.#claim();
      }
    } finally {
      // Abandoned: nothing is said or left, as after a crash; the group notices by the session timeout.
      if (!this.#abandoned) {
        await this.#stepDown('the instance is stopping').catch(() => undefined);
        await consumer.close().catch(() => undefined);
        await this.#producer.close().catch(() => undefined);
      }
    }
  }

  /** Ends the election with an error (acting failed): run() throws it, resigning and leaving the group. */
  fail(error: unknown): void {
    this.#o.log.error({ err: errorMessage(error) }, 'leader election: acting failed; leaving the group');
    this.#failure ??= error;
  }

  /** Stops polling without resigning or leaving, as a crashed process would: for tests in one process. */
  abandon(): void {
    this.#abandoned = true;
    this.#leading = false;
  }

  async #claim(): Promise<void> {
    const term = ++this.#terms;
    this.#pending = this.#term(term);
    this.#pendingSince = Date.now();
    try {
      await this.#announce(LeaderStates.CLAIMED, term);
    } catch (error) {
      this.#pending = null;
      this.#o.log.warn({ err: errorMessage(error) }, 'leader election: could not write a claim');
    }
  }

  #term(n: number): string {
    return `${this.#o.identity.instance.slice(0, 128)}:${this.#nonce}:${n}`;
  }

  #isOwnClaim(record: BusRecord): boolean {
    if (this.#pending === null) return false;
    try {
      const { value } = decode(this.#o.product, record);
      return (
        value.instance === this.#o.identity.instance &&
        value.state === LeaderStates.CLAIMED &&
        value.term === this.#pending
      );
    } catch {
      return false;
    }
  }

  async #announce(state: OrchestratorLeader['state'], term: number): Promise<void> {
    const { product, name, identity } = this.#o;
    await this.#producer!.send(
      encode(
        product,
        {
          orchestrator: name,
          instance: identity.instance,
          state,
          term: this.#term(term),
          url: this.#o.url(),
          since: Date.now(),
        },
        identity,
      ),
    );
  }

  /** Stops acting (if it was) and says so; awaited by the group before this member rejoins. */
  async #stepDown(why: string): Promise<void> {
    this.#pending = null;
    if (!this.#leading) {
      await this.#transition;
      return;
    }
    this.#leading = false;
    this.#o.log.info({ why }, 'leader election: resigning');
    const stopping = this.#transition.then(async () => {
      await this.#o.resign(why);
      await this.#announce(LeaderStates.RESIGNED, this.#terms).catch(() => undefined);
    });
    this.#transition = stopping.catch(() => undefined);
    await stopping;
  }
}
