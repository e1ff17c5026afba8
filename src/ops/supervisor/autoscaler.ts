// Scales a service on its consumer group's lag, as KEDA's Kafka scaler does: ceil(lag / lagPerReplica), capped by the partitions.

import { type Admin, type Producer } from '../../bus/types.ts';
import { encode, queueEvents } from '../../contracts/index.ts';

export interface AutoscalerOptions {
  readonly service: string;
  /** The consumer group whose lag is read. */
  readonly group: string;
  /** The topics it consumes: a group that has committed nothing yet still shows its backlog. */
  readonly topics: readonly string[];
  readonly admin: Admin;
  readonly min: number;
  readonly max: number;
  readonly lagPerReplica: number;
  /** Scale down only when no higher count was wanted for this long (HPA's stabilization window). */
  readonly cooldownMs: number;
  readonly intervalMs: number;
  /** Replicas meant to run now. */
  readonly current: () => number;
  readonly scale: (replicas: number) => Promise<void>;
  /** Told every decision that changes the count or is held back by the cool-down. */
  readonly onDecision?: (decision: ScaleDecision) => void | Promise<void>;
  readonly now?: () => number;
}

export interface ScaleDecision {
  readonly service: string;
  readonly group: string;
  readonly time: number;
  /** Total lag of the group over its topics. */
  readonly lag: number;
  /** Most partitions of any one of its topics: more replicas than that would sit idle. */
  readonly partitions: number;
  readonly current: number;
  /** What the lag asks for, clamped to [min, max] and to the partitions. */
  readonly desired: number;
  /** up / down: scaled to `target`; hold: a lower count is wanted but the cool-down has not passed. */
  readonly action: 'up' | 'down' | 'hold';
  readonly target: number;
  readonly reason: string;
}

/** One decision from the numbers: what a tick would do. Pure, for tests and for the status line. */
export function desiredReplicas(
  lag: number,
  partitions: number,
  o: { readonly min: number; readonly max: number; readonly lagPerReplica: number },
): number {
  const wanted = Math.ceil(lag / o.lagPerReplica);
  const ceiling = Math.max(o.min, Math.min(o.max, partitions));
  return Math.min(ceiling, Math.max(o.min, wanted));
}

export class Autoscaler {
  readonly #o: AutoscalerOptions;
  /** Recent recommendations; a scale-down goes to the highest of the cool-down window. */
  #recommendations: Array<{ time: number; desired: number }> = [];
  #heldAt: number | null = null;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #lastError: string | null = null;
  /** The last lag read, for status lines. */
  lastLag: number | null = null;

  constructor(options: AutoscalerOptions) {
    if (!(options.min >= 1 && options.max >= options.min))
      throw new RangeError(
        `autoscale ${options.service}: need 1 <= min <= max, got min ${options.min}, max ${options.max}`,
      );
    if (!(options.lagPerReplica >= 1))
      throw new RangeError(
        `autoscale ${options.service}: lagPerReplica must be >= 1, got ${options.lagPerReplica}`,
      );
    this.#o = options;
  }

  /** Reads the lag and scales if needed; returns the decision, or null when nothing changed or was held. */
  async tick(): Promise<ScaleDecision | null> {
    const o = this.#o;
    const now = (o.now ?? Date.now)();
    const lags = await o.admin.groupLag(o.group, o.topics);
    const lag = lags.reduce((sum, p) => sum + p.lag, 0);
    const perTopic = new Map<string, number>();
    for (const p of lags) perTopic.set(p.topic, (perTopic.get(p.topic) ?? 0) + 1);
    const partitions = Math.max(0, ...perTopic.values());
    this.lastLag = lag;
    const desired = desiredReplicas(lag, partitions, o);
    const current = o.current();
    this.#recommendations = this.#recommendations.filter((r) => now - r.time < o.cooldownMs);
    this.#recommendations.push({ time: now, desired });
    const base = { service: o.service, group: o.group, time: now, lag, partitions, current, desired };
    const why = `lag ${lag} over ${partitions} partition(s) at ${o.lagPerReplica} per replica wants ${desired} (min ${o.min}, max ${o.max})`;
    let decision: ScaleDecision | null = null;
    // A hold is reported once per stretch of wanting fewer replicas.
    if (desired >= current) this.#heldAt = null;
    if (desired > current) {
      decision = {
        ...base,
        action: 'up',
        target: desired,
        reason: `scale ${o.service} up from ${current} to ${desired}: ${why}`,
      };
    } else if (desired < current) {
      // Only as far down as the highest count wanted within the cool-down (which includes the last scaling).
      const target = Math.max(...this.#recommendations.map((r) => r.desired));
      if (target < current) {
        decision = {
          ...base,
          action: 'down',
          target,
          reason: `scale ${o.service} down from ${current} to ${target}: ${why}, and no more than ${target} for ${o.cooldownMs} ms`,
        };
      } else if (this.#heldAt === null) {
        this.#heldAt = now;
        decision = {
          ...base,
          action: 'hold',
          target: current,
          reason: `keep ${o.service} at ${current} for the cool-down of ${o.cooldownMs} ms: ${why}`,
        };
      }
    }
    if (decision === null) return null;
    if (decision.action !== 'hold') {
      this.#heldAt = null;
      await o.scale(decision.target);
      // The new count starts a new cool-down window.
      this.#recommendations = [{ time: now, desired: decision.target }];
    }
    await o.onDecision?.(decision);
    return decision;
  }

  /** Ticks every intervalMs until stopped; a failed read is logged through `onError` and retried next tick. */
  start(onError: (message: string) => void = () => undefined): void {
    const loop = (): void => {
      this.#running = this.tick()
        .then(
          () => {
            this.#lastError = null;
          },
          (error: unknown) => {
            const message = `autoscale ${this.#o.service}: ${error instanceof Error ? error.message : String(error)}`;
            if (message !== this.#lastError) onError(message);
            this.#lastError = message;
          },
        )
        .finally(() => {
          this.#running = null;
          if (this.#timer !== null) this.#timer = setTimeout(loop, this.#o.intervalMs);
        });
    };
    this.#timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}

/**
 * Publishes a decision on queue-events from the service `supervisor`, queue `autoscale-<service>`.
 * The v2 events have no scaling event; `interrupted` is the one whose meaning fits: a scaling
 * rebalances the group, so every member's work is interrupted and resumes on the new
 * assignment, and its reason carries the decision in words.
 */
export async function publishDecision(producer: Producer, instance: string, d: ScaleDecision): Promise<void> {
  await producer.send(
    encode(
      queueEvents,
      {
        service: 'supervisor',
        instance,
        queue_id: `autoscale-${d.service}`,
        time: d.time,
        event: 'interrupted',
        reason: `autoscale ${d.action}: ${d.reason}`.slice(0, 1024),
      },
      { service: 'supervisor', instance },
    ),
  );
}
