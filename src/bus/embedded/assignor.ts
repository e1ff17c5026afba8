// Kafka's range assignor: per topic, consecutive partition ranges to members sorted by id.

import { type TopicPartition } from '../types.ts';

export interface AssignorMember {
  readonly id: string;
  readonly topics: readonly string[];
}

/** Maps member id to its partitions; `partitionCount` is 0 for a topic that does not exist. */
export function rangeAssign(
  members: readonly AssignorMember[],
  partitionCount: (topic: string) => number,
): Map<string, TopicPartition[]> {
  const out = new Map<string, TopicPartition[]>();
  for (const m of members) out.set(m.id, []);
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
  for (const topic of topics) {
    const subscribers = members
      .filter((m) => m.topics.includes(topic))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const count = partitionCount(topic);
    const per = Math.floor(count / subscribers.length);
    const extra = count % subscribers.length;
    let next = 0;
    subscribers.forEach((m, i) => {
      const n = per + (i < extra ? 1 : 0);
      for (let k = 0; k < n; k++) out.get(m.id)!.push({ topic, partition: next++ });
    });
  }
  return out;
}
