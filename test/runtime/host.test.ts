// A service process as operators see it: /metrics lag equals kafka-consumer-groups, SIGTERM stops it cleanly.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getMetricsFromIterator, type PromData } from 'prom2javascript';
import { queueEvents, trades } from '../../src/contracts/index.ts';
import { defineService, ServiceHost } from '../../src/runtime/index.ts';
import { runKafkaTool } from '../../src/ops/kafka/index.ts';
import { defer, eventually, kafkaBackend, kafkaBootstrap, tempGroup } from '../helpers/backends.ts';
import {
  capturedTrades,
  follow,
  json,
  produceValues,
  renamed,
  spawnPassThrough,
  tempProductTopics,
} from './helpers.ts';

/** The lag gauge per partition from a real scrape, parsed by a Prometheus parser written elsewhere. */
async function scrapeLag(url: string, group: string): Promise<Map<number, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  // Only our families: prom-client's process metrics may print "Nan" right after start, which strict parsers refuse.
  const ours = text.split('\n').filter((l) => l.includes('streamforge_consumer_lag_records'));
  const metrics = await getMetricsFromIterator(ours[Symbol.iterator]());
  const lag = new Map<number, number>();
  for (const s of (metrics['streamforge_consumer_lag_records']?.data ?? []) as PromData[])
    if (s.labels['service'] === group) lag.set(Number(s.labels['partition']), s.value);
  return lag;
}

async function describeLag(group: string): Promise<Map<number, number>> {
  const result = await runKafkaTool('consumer-groups', ['--describe', '--group', group], {
    bootstrap: kafkaBootstrap()!,
    timeoutMs: 60_000,
  });
  assert.equal(result.exitCode, 0, result.stderr);
  const lag = new Map<number, number>();
  for (const cols of result.stdout.split('\n').map((l) => l.trim().split(/\s+/)))
    if (cols[0] === group && /^\d+$/.test(cols[2] ?? ''))
      // Nothing committed: Kafka prints "-"; a group that starts from the beginning of this
      // fresh topic (log start 0) then lags by the log end offset.
      lag.set(Number(cols[2]), cols[5] === '-' ? Number(cols[4]) : Number(cols[5]));
  return lag;
}

describe('a service process on kafka', { skip: kafkaBackend.skip }, () => {
  it(
    'serves consumer lag on /metrics equal to what kafka-consumer-groups --describe reports',
    { timeout: 120_000 },
    async (t) => {
      const bus = await kafkaBackend.open(t);
      const input = { ...renamed(trades, 'host-lag'), partitions: 3 };
      await tempProductTopics(t, bus, [input]);
      const definition = defineService({
        name: tempGroup(t, bus, 'host-lag'),
        description: 'reads trades',
        consumes: [input],
        produces: [],
        handle: () => undefined,
      });
      const host = new ServiceHost({
        bus,
        services: [{ definition }],
        metricsPort: 0,
        lagIntervalMs: 200,
        logLevel: 'silent',
      });
      defer(t, () => host.stop('test over'));
      await host.start();
      const values = await capturedTrades(90);
      await produceValues(bus, input, values.slice(0, 60));
      const url = host.server!.url;
      assert.ok(
        await eventually(
          async () =>
            ((lags) => lags.length === 3 && lags.every((l) => l === 0))([
              ...(await scrapeLag(url, definition.name)).values(),
            ]),
          30_000,
        ),
        'lag reaches 0 once everything is processed',
      );
      host.runners[0]!.pause();
      await produceValues(bus, input, values.slice(60));
      assert.ok(
        await eventually(
          async () => [...(await scrapeLag(url, definition.name)).values()].reduce((a, b) => a + b, 0) === 30,
          30_000,
        ),
        'the paused service shows the 30 new records as lag',
      );
      const ours = await scrapeLag(url, definition.name);
      const theirs = await describeLag(definition.name);
      assert.deepEqual([...ours.entries()].sort(), [...theirs.entries()].sort());
    },
  );

  it(
    '`streamforge run` stops on SIGTERM: work committed, an interrupted event, exit code 0',
    { timeout: 120_000 },
    async (t) => {
      const bus = await kafkaBackend.open(t);
      const input = renamed(trades, 'host-term-in');
      const output = renamed(trades, 'host-term-out');
      await tempProductTopics(t, bus, [input, output]);
      const group = tempGroup(t, bus, 'host-term');
      const events = await follow(bus, queueEvents.topic);
      defer(t, () => events.stop());
      await produceValues(bus, input, await capturedTrades(200));
      const child = spawnPassThrough(
        t,
        { input: input.topic, output: output.topic, group },
        `term-${process.pid}`,
      );
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const admin = bus.admin();
      defer(t, () => admin.close());
      assert.ok(
        await eventually(async () => {
          const lag = await admin.groupLag(group, [input.topic]).catch(() => []);
          return lag.length > 0 && lag.every((l) => l.lag === 0);
        }, 60_000),
        'the service works off its input',
      );
      child.kill('SIGTERM');
      assert.equal(await exited, 0, 'a graceful stop exits 0');
      const description = await admin.describeGroup(group);
      assert.equal(
        description.members.length,
        0,
        'the instance left the group instead of waiting for its session to expire',
      );
      assert.ok(
        await eventually(
          () =>
            events.records
              .map(json)
              .some(
                (e) => e['service'] === group && e['event'] === 'interrupted' && e['reason'] === 'SIGTERM',
              ),
          10_000,
        ),
        'an interrupted event names the signal',
      );
    },
  );
});
