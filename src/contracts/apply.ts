// `topics apply`: makes the bus match the catalog where that is safe, and reports the rest as drift.

import { type Admin, type TopicDescription } from '../bus/types.ts';
import { type Product } from './product.ts';
import { topicConfigs } from './topic-config.ts';

export interface ApplyOptions {
  /** 1 on a single node, 3 on a cluster. */
  readonly replicationFactor: number;
  /** Compute and report the changes without making them. */
  readonly dryRun?: boolean;
}

export const DriftKinds = {
  /** More partitions than declared: Kafka cannot remove partitions. */
  PARTITIONS_ABOVE_DECLARED: 'PARTITIONS_ABOVE_DECLARED',
  /** Changing it needs a partition reassignment, an operation of its own. */
  REPLICATION_FACTOR: 'REPLICATION_FACTOR',
  /**
   * Compact where delete is declared or the other way round: switching would delete data
   * (compaction drops old values, retention drops old records), so a person must decide.
   */
  CLEANUP_POLICY: 'CLEANUP_POLICY',
  /** A config set on the topic that the catalog does not declare; left as it is. */
  UNDECLARED_CONFIG: 'UNDECLARED_CONFIG',
} as const;
export type DriftKind = (typeof DriftKinds)[keyof typeof DriftKinds];

export interface Drift {
  readonly topic: string;
  readonly kind: DriftKind;
  readonly declared: string | number | null;
  readonly actual: string | number | null;
  readonly message: string;
}

export interface CreatedTopic {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
}

export interface AlteredTopic {
  readonly topic: string;
  /** Each changed config with its value before (null: not set on the topic) and after. */
  readonly configs: Readonly<Record<string, { readonly from: string | null; readonly to: string }>>;
}

export interface RaisedPartitions {
  readonly topic: string;
  readonly from: number;
  readonly to: number;
}

export interface ApplyReport {
  readonly dryRun: boolean;
  readonly created: readonly CreatedTopic[];
  readonly altered: readonly AlteredTopic[];
  /**
   * Raising partitions moves keys to other partitions: per-key order holds again only for
   * records written after the change.
   */
  readonly partitionsRaised: readonly RaisedPartitions[];
  /** Topics that needed nothing (they may still have drift). */
  readonly unchanged: readonly string[];
  readonly drift: readonly Drift[];
  /** True when anything was (or, in a dry run, would be) created or changed. */
  readonly changed: boolean;
}

interface Plan {
  created: CreatedTopic[];
  altered: AlteredTopic[];
  partitionsRaised: RaisedPartitions[];
  unchanged: string[];
  drift: Drift[];
}

// Kafka's default `log.cleanup.policy`; the catalog always sets the policy explicitly.
const DEFAULT_POLICY = 'delete';

function planExisting(product: Product, actual: TopicDescription, options: ApplyOptions, plan: Plan): void {
  const topic = product.topic;
  let touched = false;
  const declared = topicConfigs(product.cleanup);
  const actualPolicy = actual.configs['cleanup.policy'] ?? DEFAULT_POLICY;
  const policyDrift = actualPolicy !== declared['cleanup.policy'];
  if (policyDrift) {
    plan.drift.push({
      topic,
      kind: DriftKinds.CLEANUP_POLICY,
      declared: declared['cleanup.policy']!,
      actual: actualPolicy,
      message: `cleanup.policy is ${actualPolicy}, declared ${declared['cleanup.policy']}; configs left unchanged`,
    });
  } else {
    const changes: Record<string, { from: string | null; to: string }> = {};
    for (const [name, value] of Object.entries(declared)) {
      const current = actual.configs[name];
      if (current !== value) changes[name] = { from: current ?? null, to: value };
    }
    if (Object.keys(changes).length > 0) {
      plan.altered.push({ topic, configs: changes });
      touched = true;
    }
  }
  for (const [name, value] of Object.entries(actual.configs)) {
    if (name in declared) continue;
    plan.drift.push({
      topic,
      kind: DriftKinds.UNDECLARED_CONFIG,
      declared: null,
      actual: value,
      message: `${name}=${value} is set on the topic but not declared; left as it is`,
    });
  }

  const partitions = actual.partitions.length;
  if (partitions < product.partitions) {
    plan.partitionsRaised.push({ topic, from: partitions, to: product.partitions });
    touched = true;
  } else if (partitions > product.partitions) {
    plan.drift.push({
      topic,
      kind: DriftKinds.PARTITIONS_ABOVE_DECLARED,
      declared: product.partitions,
      actual: partitions,
      message: `${partitions} partitions, declared ${product.partitions}; partitions cannot be removed`,
    });
  }
  if (actual.replicationFactor !== options.replicationFactor) {
    plan.drift.push({
      topic,
      kind: DriftKinds.REPLICATION_FACTOR,
      declared: options.replicationFactor,
      actual: actual.replicationFactor,
      message: `replication factor ${actual.replicationFactor}, asked for ${options.replicationFactor}; needs a partition reassignment`,
    });
  }
  if (!touched) plan.unchanged.push(topic);
}

/**
 * Creates missing topics, sets configs that differ from the declaration, raises partition
 * counts below it, and reports what it must not fix. Running it twice changes nothing the
 * second time (`changed: false`).
 */
export async function applyCatalog(
  admin: Admin,
  products: readonly Product[],
  options: ApplyOptions,
): Promise<ApplyReport> {
  const dryRun = options.dryRun ?? false;
  const existing = new Set(await admin.listTopics());
  const present = products.filter((p) => existing.has(p.topic));
  const described = new Map(
    (present.length > 0 ? await admin.describeTopics(present.map((p) => p.topic)) : []).map((d) => [
      d.name,
      d,
    ]),
  );

  const plan: Plan = { created: [], altered: [], partitionsRaised: [], unchanged: [], drift: [] };
  for (const product of products) {
    const actual = described.get(product.topic);
    if (actual) planExisting(product, actual, options, plan);
    else
      plan.created.push({
        topic: product.topic,
        partitions: product.partitions,
        replicationFactor: options.replicationFactor,
        configs: topicConfigs(product.cleanup),
      });
  }

  if (!dryRun) {
    if (plan.created.length > 0) {
      await admin.createTopics(
        plan.created.map((c) => ({
          name: c.topic,
          partitions: c.partitions,
          replicationFactor: c.replicationFactor,
          configs: c.configs,
        })),
        // Another apply running at the same time may create a topic first; that is fine.
        { ifNotExists: true },
      );
    }
    for (const alter of plan.altered) {
      await admin.alterTopicConfigs(
        alter.topic,
        Object.fromEntries(Object.entries(alter.configs).map(([name, change]) => [name, change.to])),
      );
    }
    for (const raise of plan.partitionsRaised) await admin.createPartitions(raise.topic, raise.to);
  }

  return {
    dryRun,
    ...plan,
    changed: plan.created.length + plan.altered.length + plan.partitionsRaised.length > 0,
  };
}
