// Samples every consumer group's lag and throughput from the bus admin, keeping a short history for the lag panel.

import { type Admin } from '../../bus/types.ts';
import { type ResolvedGatewayOptions } from './options.ts';

export interface GroupSample {
  readonly group: string;
  readonly state: string;
  /** Records behind the log end, summed over the group's partitions. */
  readonly lag: number;
  /** Records committed per second since the previous sample (null on the first). */
  readonly rate: number | null;
  readonly committed: number;
}

export interface LagSample {
  readonly time: number;
  readonly groups: readonly GroupSample[];
}

export class LagSampler {
  readonly history: LagSample[] = [];
  /** The newest sample not yet sent in a frame. */
  pending: LagSample | null = null;
  failures = 0;
  readonly #o: ResolvedGatewayOptions;
  readonly #previous = new Map<string, { time: number; committed: number }>();
  #admin: Admin | null = null;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #lastError = '';

  constructor(options: ResolvedGatewayOptions) {
    this.#o = options;
  }

  start(): void {
    this.#admin = this.#o.bus.admin();
    const tick = (): void => {
      this.#running = this.sample()
        .then(() => undefined)
        .catch((error: unknown) => {
          this.failures++;
          const message = error instanceof Error ? error.message : String(error);
          if (message !== this.#lastError) this.#o.log(`sampling consumer lag failed: ${message}`);
          this.#lastError = message;
        })
        .finally(() => {
          this.#running = null;
          if (this.#admin) this.#timer = setTimeout(tick, this.#o.lagIntervalMs);
        });
    };
    tick();
  }

  #wanted(groupId: string): boolean {
    const g = this.#o.groups;
    if (g === undefined) return true;
    return g instanceof RegExp ? g.test(groupId) : g.includes(groupId);
  }

  async sample(): Promise<LagSample> {
    const admin = this.#admin;
    if (!admin) throw new Error('the lag sampler is stopped');
    const listed = (await admin.listGroups())
      .filter((g) => g.state !== 'Dead' && this.#wanted(g.groupId))
      // Groups with members first: a busy shared broker may hold many finished ones.
      .sort(
        (a, b) =>
          Number(b.state === 'Stable') - Number(a.state === 'Stable') || (a.groupId < b.groupId ? -1 : 1),
      )
      .slice(0, this.#o.maxGroups);
    const time = Date.now();
    const groups = await Promise.all(
      listed.map(async ({ groupId, state }): Promise<GroupSample> => {
        const partitions = await admin.groupLag(groupId);
        const lag = partitions.reduce((sum, p) => sum + p.lag, 0);
        const committed = partitions.reduce((sum, p) => sum + (p.committed ?? p.logStart), 0);
        const before = this.#previous.get(groupId);
        this.#previous.set(groupId, { time, committed });
        const rate =
          before && time > before.time
            ? Math.max(0, Math.round(((committed - before.committed) * 1000) / (time - before.time)))
            : null;
        return { group: groupId, state, lag, rate, committed };
      }),
    );
    groups.sort((a, b) => (a.group < b.group ? -1 : 1));
    const sample = { time, groups };
    this.history.push(sample);
    if (this.history.length > this.#o.lagHistory) this.history.shift();
    this.pending = sample;
    return sample;
  }

  async stop(): Promise<void> {
    const admin = this.#admin;
    this.#admin = null;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
    await admin?.close();
  }
}
