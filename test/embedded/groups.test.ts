// In-process consumer groups: rebalancing with listeners, the ownership check on commit, expiry.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { BusErrorCodes, isBusError } from '../../src/bus/errors.ts';
import { openEmbeddedBus } from '../../src/bus/embedded/index.ts';
import { type Bus, type TopicPartition } from '../../src/bus/types.ts';
import { tempDir } from './helpers.ts';

async function setup(t: TestContext): Promise<Bus> {
  const bus = await openEmbeddedBus(await tempDir(t), {});
  t.after(() => bus.close());
  await bus.admin().createTopics([{ name: 't', partitions: 4 }]);
  await bus
    .producer()
    .sendBatch(Array.from({ length: 40 }, (_, i) => ({ topic: 't', partition: i % 4, value: `v${i}` })));
  return bus;
}

const names = (tps: readonly TopicPartition[]): number[] => tps.map((tp) => tp.partition).sort();

describe('embedded consumer groups', () => {
  it('a joining member gets half; the old owner commits in onRevoked, later commits for lost partitions fail', async (t) => {
    const bus = await setup(t);
    const revoked: number[][] = [];
    const a = bus.consumer({ groupId: 'g', clientId: 'a', autoOffsetReset: 'earliest' });
    await a.subscribe(['t'], {
      async onRevoked(partitions) {
        revoked.push(names(partitions));
        // Committing owned partitions inside onRevoked is allowed.
        await a.commit(partitions.map((tp) => ({ ...tp, offset: a.position(tp) })));
      },
    });
    let read = 0;
    while (read < 40) read += (await a.poll({ timeoutMs: 200 })).length;
    assert.deepEqual(names(a.assignment()), [0, 1, 2, 3]);
    const positions = a.assignment().map((tp) => ({ ...tp, offset: a.position(tp) }));

    const b = bus.consumer({ groupId: 'g', clientId: 'b', autoOffsetReset: 'earliest' });
    const assignedToB: number[][] = [];
    await b.subscribe(['t'], { onAssigned: (p) => void assignedToB.push(names(p)) });
    assert.equal((await bus.admin().describeGroup('g')).state, 'PreparingRebalance');
    await Promise.all([a.poll({ timeoutMs: 300 }), b.poll({ timeoutMs: 300 })]);
    assert.deepEqual(revoked, [[2, 3]]);
    assert.deepEqual(names(a.assignment()), [0, 1]);
    assert.deepEqual(assignedToB, [[2, 3]]);
    // b resumes where a committed in onRevoked: nothing is read twice.
    assert.deepEqual(await b.poll({ timeoutMs: 100 }), []);
    assert.equal((await bus.admin().describeGroup('g')).state, 'Stable');

    await assert.rejects(a.commit(positions), (e) => isBusError(e, BusErrorCodes.REBALANCE_IN_PROGRESS));
    await a.commit(); // its own partitions are fine
    await b.close();
    await a.poll({ timeoutMs: 300 });
    assert.deepEqual(names(a.assignment()), [0, 1, 2, 3]);
    await a.close();
    assert.equal((await bus.admin().describeGroup('g')).state, 'Empty');
  });

  it('a member that stops polling for sessionTimeoutMs is removed and its partitions move', async (t) => {
    const bus = await setup(t);
    const a = bus.consumer({
      groupId: 'g',
      clientId: 'a',
      sessionTimeoutMs: 300,
      autoOffsetReset: 'earliest',
    });
    const b = bus.consumer({
      groupId: 'g',
      clientId: 'b',
      sessionTimeoutMs: 300,
      autoOffsetReset: 'earliest',
    });
    t.after(() => Promise.all([a.close(), b.close()]));
    await a.subscribe(['t']);
    await b.subscribe(['t']);
    await Promise.all([a.poll({ timeoutMs: 100 }), b.poll({ timeoutMs: 100 })]);
    assert.equal(a.assignment().length + b.assignment().length, 4);
    // Only b keeps polling; a is silent past its session timeout.
    const deadline = Date.now() + 3000;
    while (b.assignment().length < 4 && Date.now() < deadline) await b.poll({ timeoutMs: 100 });
    assert.deepEqual(names(b.assignment()), [0, 1, 2, 3]);
    await assert.rejects(a.commit(), (e) => isBusError(e, BusErrorCodes.REBALANCE_IN_PROGRESS));
    const group = await bus.admin().describeGroup('g');
    assert.equal(group.members.length, 1);
  });

  it('admin refuses to reset or delete a group with members; unknown groups are Dead', async (t) => {
    const bus = await setup(t);
    const admin = bus.admin();
    const c = bus.consumer({ groupId: 'g' });
    await c.subscribe(['t']);
    await assert.rejects(admin.resetGroupOffsets('g', ['t'], 'earliest'), (e) =>
      isBusError(e, BusErrorCodes.GROUP_NOT_EMPTY),
    );
    await assert.rejects(admin.deleteGroup('g'), (e) => isBusError(e, BusErrorCodes.GROUP_NOT_EMPTY));
    await c.close();
    const reset = await admin.resetGroupOffsets('g', ['t'], 'latest');
    assert.deepEqual(
      reset.map((o) => o.offset),
      [10, 10, 10, 10],
    );
    await admin.deleteGroup('g');
    assert.equal((await admin.describeGroup('g')).state, 'Dead');
    await assert.rejects(admin.deleteGroup('g'), (e) => isBusError(e, BusErrorCodes.UNKNOWN_GROUP));
  });

  it('poll wakes on append instead of waiting out its timeout', async (t) => {
    const bus = await setup(t);
    const c = bus.consumer({ autoOffsetReset: 'latest' });
    await c.assign([{ topic: 't', partition: 0 }]);
    const started = Date.now();
    const polled = c.poll({ timeoutMs: 5000 });
    setTimeout(() => void bus.producer().sendBatch([{ topic: 't', partition: 0, value: 'late' }]), 50);
    const records = await polled;
    assert.equal(records[0]?.value?.toString(), 'late');
    assert.ok(Date.now() - started < 1000);
    await c.close();
  });
});
