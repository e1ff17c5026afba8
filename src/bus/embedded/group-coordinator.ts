// In-process consumer groups: membership, range assignment, rebalancing, liveness and the
// ownership check behind commits.
//
// Everything lives in one process, so the coordinator knows every member at once and computes the
// target assignment as soon as membership changes. A partition only moves after its owner has run
// onRevoked (inside its own poll, where it can commit) and released it; members that keep a
// partition keep reading it meanwhile (like Kafka's cooperative protocol). A member that stops
// polling for sessionTimeoutMs, or does not release within rebalanceTimeoutMs, is removed.

import { randomUUID } from 'node:crypto';
import { BusError, BusErrorCodes } from '../errors.ts';
import { type GroupDescription, type TopicPartition } from '../types.ts';
import { rangeAssign } from './assignor.ts';

export const GroupStates = {
  EMPTY: 'Empty',
  STABLE: 'Stable',
  PREPARING_REBALANCE: 'PreparingRebalance',
  DEAD: 'Dead',
} as const;

export interface MemberOptions {
  readonly clientId: string;
  readonly topics: readonly string[];
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  /** Wakes the member's blocked poll when its group changes. */
  readonly wake: () => void;
}

export class GroupMember {
  readonly id: string;
  readonly groupId: string;
  readonly options: MemberOptions;
  /** The partitions this member owns right now (what it may read and commit). */
  owned: TopicPartition[] = [];
  /** What the pending rebalance will give it. */
  target: TopicPartition[] = [];
  /** Bumped whenever `owned` grows, so the consumer knows to pick up new partitions. */
  assignmentVersion = 0;
  inPoll = false;
  lastSeen = Date.now();
  removed = false;

  constructor(groupId: string, options: MemberOptions) {
    this.groupId = groupId;
    this.options = options;
    this.id = `${options.clientId}-${randomUUID()}`;
  }

  /** Owned partitions the pending rebalance takes away: onRevoked must run for them. */
  toRevoke(): TopicPartition[] {
    return this.owned.filter((tp) => !this.target.some((t) => same(t, tp)));
  }

  owns(tp: TopicPartition): boolean {
    return this.owned.some((o) => same(o, tp));
  }
}

class Group {
  readonly members = new Map<string, GroupMember>();
  rebalancing = false;
  rebalanceStartedAt = 0;
  /** Partition counts the current target was computed with. */
  counts = new Map<string, number>();
}

function same(a: TopicPartition, b: TopicPartition): boolean {
  return a.topic === b.topic && a.partition === b.partition;
}

export class GroupCoordinator {
  readonly #groups = new Map<string, Group>();
  readonly #partitionCount: (topic: string) => number;
  #timer: NodeJS.Timeout | null = null;

  /** `partitionCount` returns 0 for a topic that does not exist. */
  constructor(partitionCount: (topic: string) => number) {
    this.#partitionCount = partitionCount;
  }

  join(groupId: string, options: MemberOptions): GroupMember {
    let group = this.#groups.get(groupId);
    if (!group) this.#groups.set(groupId, (group = new Group()));
    const member = new GroupMember(groupId, options);
    group.members.set(member.id, member);
    this.#rebalance(group);
    this.#startTimer();
    return member;
  }

  /** Removes a member (close, or expiry); its partitions go to the others. */
  leave(member: GroupMember): void {
    const group = this.#groups.get(member.groupId);
    if (!group || member.removed) return;
    member.removed = true;
    member.owned = [];
    group.members.delete(member.id);
    if (group.members.size === 0) {
      group.rebalancing = false;
      this.#groups.delete(member.groupId);
    } else this.#rebalance(group);
    member.options.wake();
  }

  /** The member has run onRevoked for what it loses: release those partitions. */
  release(member: GroupMember): void {
    if (member.removed) return;
    member.owned = member.owned.filter((tp) => member.target.some((t) => same(t, tp)));
    const group = this.#groups.get(member.groupId);
    if (group) this.#tryComplete(group);
  }

  isRebalancing(member: GroupMember): boolean {
    return this.#groups.get(member.groupId)?.rebalancing ?? false;
  }

  /** Throws REBALANCE_IN_PROGRESS unless `member` owns every partition (Kafka's generation check). */
  checkOwnership(member: GroupMember, partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      if (member.removed || !member.owns(tp)) {
        throw new BusError(
          BusErrorCodes.REBALANCE_IN_PROGRESS,
          `Cannot commit ${tp.topic}[${tp.partition}] for group ${member.groupId}: ` +
            (member.removed
              ? 'this member was removed from the group'
              : 'the partition is not owned by this member') +
            ' after a rebalance',
          { hint: 'poll again to rejoin and get the current assignment' },
        );
      }
    }
  }

  hasMembers(groupId: string): boolean {
    return (this.#groups.get(groupId)?.members.size ?? 0) > 0;
  }

  groupIds(): string[] {
    return [...this.#groups.keys()];
  }

  describe(groupId: string, known: boolean): GroupDescription {
    const group = this.#groups.get(groupId);
    if (!group || group.members.size === 0) {
      return { groupId, state: known ? GroupStates.EMPTY : GroupStates.DEAD, members: [] };
    }
    return {
      groupId,
      state: group.rebalancing ? GroupStates.PREPARING_REBALANCE : GroupStates.STABLE,
      members: [...group.members.values()].map((m) => ({
        memberId: m.id,
        clientId: m.options.clientId,
        host: 'localhost',
        assignment: m.owned.map(({ topic, partition }) => ({ topic, partition })),
      })),
    };
  }

  /** Topics were created, deleted or grew: groups reading them get a new assignment. */
  topicsChanged(): void {
    for (const group of this.#groups.values()) {
      const topics = new Set([...group.members.values()].flatMap((m) => m.options.topics));
      if ([...topics].some((t) => (group.counts.get(t) ?? 0) !== this.#partitionCount(t)))
        this.#rebalance(group);
    }
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  // Computes the target assignment for the current members and starts moving partitions to it.
  #rebalance(group: Group): void {
    const members = [...group.members.values()];
    const topics = new Set(members.flatMap((m) => m.options.topics));
    group.counts = new Map([...topics].map((t) => [t, this.#partitionCount(t)]));
    const target = rangeAssign(
      members.map((m) => ({ id: m.id, topics: m.options.topics })),
      (t) => group.counts.get(t) ?? 0,
    );
    for (const m of members) m.target = target.get(m.id) ?? [];
    group.rebalancing = true;
    group.rebalanceStartedAt = Date.now();
    for (const m of members) {
      // Partitions of deleted topics or lost partitions are simply gone: nothing to revoke.
      m.owned = m.owned.filter((tp) => tp.partition < (group.counts.get(tp.topic) ?? 0));
    }
    this.#tryComplete(group);
    for (const m of members) m.options.wake();
  }

  // Done once no member still holds a partition that moves; then everyone gets its target.
  #tryComplete(group: Group): void {
    if (!group.rebalancing) return;
    for (const m of group.members.values()) if (m.toRevoke().length > 0) return;
    group.rebalancing = false;
    for (const m of group.members.values()) {
      if (m.target.length !== m.owned.length) m.assignmentVersion++;
      m.owned = m.target;
      m.options.wake();
    }
  }

  #startTimer(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#expire(Date.now()), 50);
    this.#timer.unref();
  }

  #expire(now: number): void {
    for (const group of [...this.#groups.values()]) {
      for (const m of [...group.members.values()]) {
        const silent = !m.inPoll && now - m.lastSeen > m.options.sessionTimeoutMs;
        const stuck =
          group.rebalancing &&
          m.toRevoke().length > 0 &&
          now - group.rebalanceStartedAt > m.options.rebalanceTimeoutMs;
        if (silent || stuck) this.leave(m);
      }
    }
    if (this.#groups.size === 0) this.close();
  }
}
