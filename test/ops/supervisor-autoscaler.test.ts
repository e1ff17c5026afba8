// The lag autoscaler's decisions on a real log (embedded backend): up at once, capped by partitions, down only after the cool-down.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Autoscaler, desiredReplicas, type ScaleDecision } from '../../src/ops/supervisor/index.ts';
import { defer, embeddedBackend, tempTopic } from '../helpers/backends.ts';

describe('autoscaler', () => {
  it('wants ceil(lag / lagPerReplica) replicas within [min, max] and never more than the partitions', () => {
    const o = { min: 1, max: 10, lagPerReplica: 100 };
    assert.equal(desiredReplicas(0, 8, o), 1, 'no lag: the minimum');
    assert.equal(desiredReplicas(100, 8, o), 1);
    assert.equal(desiredReplicas(101, 8, o), 2);
    assert.equal(desiredReplicas(550, 8, o), 6);
    assert.equal(desiredReplicas(5000, 8, o), 8, 'capped at the 8 partitions: a 9th member would idle');
    assert.equal(desiredReplicas(5000, 20, o), 10, 'capped at max');
    assert.equal(desiredReplicas(0, 8, { ...o, min: 3 }), 3);
    assert.equal(desiredReplicas(5000, 2, { ...o, min: 3 }), 3, 'min wins over the partition cap');
    assert.throws(
      () =>
        new Autoscaler({
          service: 's',
          group: 'g',
          topics: [],
          admin: null as never,
          min: 3,
          max: 2,
          lagPerReplica: 1,
          cooldownMs: 0,
          intervalMs: 1000,
          current: () => 1,
          scale: async () => undefined,
        }),
      /need 1 <= min <= max, got min 3, max 2/,
    );
  });

  it('reads the group lag from the log, scales up at once, holds through the cool-down, then scales down', async (t) => {
    const bus = await embeddedBackend.open(t);
    const topic = await tempTopic(t, bus, { partitions: 4, prefix: 'autoscale' });
    const producer = bus.producer();
    defer(t, () => producer.close());
    await producer.sendBatch(
      Array.from({ length: 1000 }, (_, i) => ({ topic, key: `k${i % 16}`, value: `v${i}` })),
    );
    const admin = bus.admin();
    defer(t, () => admin.close());
    let clock = 1_000_000;
    let replicas = 1;
    const scaled: number[] = [];
    const decisions: ScaleDecision[] = [];
    const autoscaler = new Autoscaler({
      service: 'svc',
      group: 'autoscale-group',
      topics: [topic],
      admin,
      min: 1,
      max: 10,
      lagPerReplica: 300,
      cooldownMs: 60_000,
      intervalMs: 1000,
      current: () => replicas,
      scale: async (n) => {
        scaled.push(n);
        replicas = n;
      },
      onDecision: (d) => void decisions.push(d),
      now: () => clock,
    });

    // Nothing committed yet: the whole backlog (1000) is lag; 4 replicas, capped by the 4 partitions.
    const up = await autoscaler.tick();
    assert.equal(up?.action, 'up');
    assert.equal(up?.lag, 1000);
    assert.equal(up?.partitions, 4);
    assert.equal(up?.desired, 4);
    assert.deepEqual(scaled, [4]);
    assert.match(
      up!.reason,
      /scale svc up from 1 to 4: lag 1000 over 4 partition\(s\) at 300 per replica wants 4/,
    );

    // The group works off most of its backlog: lag 100 wants 1, but the cool-down holds 4.
    const consumer = bus.consumer({ groupId: 'autoscale-group', autoOffsetReset: 'earliest' });
    defer(t, () => consumer.close());
    await consumer.subscribe([topic]);
    let read = 0;
    while (read < 900) {
      const records = await consumer.poll({ timeoutMs: 500, maxRecords: 900 - read });
      read += records.length;
      if (records.length > 0) await consumer.commit();
    }
    clock += 10_000;
    const hold = await autoscaler.tick();
    assert.equal(hold?.action, 'hold');
    assert.equal(hold?.lag, 100);
    assert.equal(hold?.desired, 1);
    assert.deepEqual(scaled, [4], 'no scale-down within the cool-down');
    clock += 10_000;
    assert.equal(await autoscaler.tick(), null, 'a hold is reported once');

    // After the cool-down, down to the highest count wanted within it.
    clock += 45_000;
    const down = await autoscaler.tick();
    assert.equal(down?.action, 'down');
    assert.equal(down?.target, 1);
    assert.deepEqual(scaled, [4, 1]);
    assert.deepEqual(
      decisions.map((d) => d.action),
      ['up', 'hold', 'down'],
    );
    assert.equal(await autoscaler.tick(), null, 'steady: nothing to decide');
  });
});
