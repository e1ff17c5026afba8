// Runtime test fixtures: real Binance trades as normalized records, renamed products, control topics, waiting.

import { type ChildProcess, spawn } from 'node:child_process';
import { type TestContext } from 'node:test';
import path from 'node:path';
import { type Bus, type BusRecord, type Consumer } from '../../src/bus/types.ts';
import {
  deadLetterProduct,
  encode,
  type JsonProduct,
  type Product,
  queueControl,
  type trades,
} from '../../src/contracts/index.ts';
import { type ProduceRecord } from '../../src/bus/types.ts';
import { ensureTopics, type ValueOf } from '../../src/runtime/index.ts';
import { readCapture, toRawFrame } from '../../src/venues/capture/index.ts';
import { mapperFor } from '../../src/venues/mappers.ts';
import { defer, kafkaBootstrap, uniqueName } from '../helpers/backends.ts';

export type Trade = ValueOf<typeof trades>;

const CAPTURES = path.resolve(import.meta.dirname, '../../../shared/data/market/binance-spot-hftbacktest');

/** The first `count` trades of the recorded BTCUSDT and ETHUSDT streams, interleaved, normalized. */
export async function capturedTrades(count: number): Promise<Trade[]> {
  const perSymbol = Math.ceil(count / 2);
  const [btc, eth] = await Promise.all(
    ['spot_btcusdt_20240808.gz', 'spot_ethusdt_20240808.gz'].map((f) =>
      readTrades(path.join(CAPTURES, f), perSymbol),
    ),
  );
  const out: Trade[] = [];
  for (let i = 0; out.length < count && (i < btc!.length || i < eth!.length); i++) {
    if (i < btc!.length) out.push(btc![i]!);
    if (i < eth!.length && out.length < count) out.push(eth![i]!);
  }
  return out;
}

/** The first `limit` trades of a capture, as the Binance mapper normalizes them. */
async function readTrades(file: string, limit: number): Promise<Trade[]> {
  const mapper = mapperFor('binance');
  const out: Trade[] = [];
  let seq = 0;
  for await (const frame of readCapture(file)) {
    if (!frame.body.includes('@trade"')) continue;
    for (const e of mapper.map(toRawFrame(frame, 'binance', 'capture', seq++)).events)
      if (e.type === 'trade') out.push(e.value);
    if (out.length >= limit) break;
  }
  return out.slice(0, limit);
}

/** A catalog product under a unique topic name, so that tests on a shared broker never collide. */
export function renamed<P extends Product>(product: P, prefix: string): P {
  const topic = uniqueName(prefix);
  return { ...product, topic, declaration: topic };
}

/**
 * Creates the topics of `products` and their DLQs (plus the control plane's, which stay) the way
 * a service host does, and deletes them after the test; `extra` topics (e.g. a store's
 * changelog) are deleted too.
 */
export async function tempProductTopics(
  t: TestContext,
  bus: Bus,
  products: readonly Product[],
  extra: readonly string[] = [],
): Promise<void> {
  await ensureTopics(bus, products);
  defer(t, async () => {
    const admin = bus.admin();
    await admin
      .deleteTopics([...products.flatMap((p) => [p.topic, deadLetterProduct(p).topic]), ...extra])
      .catch(() => undefined);
    await admin.close();
  });
}

export async function produceValues<T>(
  bus: Bus,
  product: JsonProduct<T>,
  values: readonly T[],
): Promise<void> {
  const producer = bus.producer();
  try {
    await producer.sendBatch(
      values.map((v) => encode(product, v, { service: 'test-feed', instance: 'test-feed-0' })),
    );
  } finally {
    await producer.close();
  }
}

/** Reads a topic from the beginning (outside any group) until `until` says stop or the time is up. */
export async function readAll(
  bus: Bus,
  topic: string,
  until: (records: readonly BusRecord[]) => boolean,
  timeoutMs = 30_000,
): Promise<BusRecord[]> {
  const admin = bus.admin();
  const [description] = await admin.describeTopics([topic]);
  await admin.close();
  const consumer: Consumer = bus.consumer();
  try {
    await consumer.assign(description!.partitions.map((p) => ({ topic, partition: p.partition })));
    await consumer.seekToBeginning();
    const records: BusRecord[] = [];
    const deadline = Date.now() + timeoutMs;
    while (!until(records) && Date.now() < deadline)
      records.push(...(await consumer.poll({ timeoutMs: 200 })));
    return records;
  } finally {
    await consumer.close();
  }
}

/** Everything on a topic now: reads from the beginning up to the end offsets it has when called. */
export async function readToEnd(bus: Bus, topic: string, timeoutMs = 60_000): Promise<BusRecord[]> {
  const admin = bus.admin();
  let total = 0;
  try {
    for (const p of await admin.listOffsets(topic, 'latest')) total += p.offset;
  } finally {
    await admin.close();
  }
  const records = await readAll(bus, topic, (r) => r.length >= total, timeoutMs);
  if (records.length < total)
    throw new Error(`${topic}: read ${records.length} of ${total} records in ${timeoutMs} ms`);
  return records;
}

/** Follows a topic from now on, collecting what arrives, until stopped. */
export async function follow(
  bus: Bus,
  topic: string,
): Promise<{ records: BusRecord[]; stop(): Promise<void> }> {
  const admin = bus.admin();
  const [description] = await admin.describeTopics([topic]);
  await admin.close();
  const consumer = bus.consumer();
  await consumer.assign(description!.partitions.map((p) => ({ topic, partition: p.partition })));
  await consumer.seekToEnd();
  const records: BusRecord[] = [];
  let running = true;
  const loop = (async () => {
    while (running) records.push(...(await consumer.poll({ timeoutMs: 100 })));
  })();
  return {
    records,
    async stop() {
      running = false;
      await loop;
      await consumer.close();
    },
  };
}

export function json(record: BusRecord): Record<string, unknown> {
  return JSON.parse(record.value!.toString('utf8')) as Record<string, unknown>;
}

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * Starts `streamforge run` of the pass-through fixture service on Kafka as its own process
 * (killed at the end of the test if still running).
 */
export function spawnPassThrough(
  t: TestContext,
  names: { readonly input: string; readonly output: string; readonly group: string },
  instancePrefix: string,
  extraEnv: Readonly<Record<string, string>> = {},
): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin/streamforge.js'),
      '--bus',
      `kafka://${kafkaBootstrap()}`,
      'run',
      path.join(ROOT, 'test/runtime/fixtures/pass-through.ts'),
      '--instance-prefix',
      instancePrefix,
      '--log-level',
      'warn',
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        SF_TEST_INPUT: names.input,
        SF_TEST_OUTPUT: names.output,
        SF_TEST_GROUP: names.group,
        ...extraEnv,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  defer(t, () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')));
  return child;
}

/** A command on queue-control as an orchestrator (or another service, `issuedBy`) would send it. */
export function controlCommand(command: {
  readonly id: string;
  readonly queueId: string;
  readonly target: string;
  readonly command: string;
  readonly args?: object;
  readonly issuedBy?: string;
}): ProduceRecord {
  const issuer = command.issuedBy ?? 'orchestrator';
  return encode(
    queueControl,
    {
      command_id: command.id,
      queue_id: command.queueId,
      target_service: command.target,
      issued_by: issuer,
      issued_at: Date.now(),
      command: command.command,
      ...(command.args ? { args: command.args } : {}),
    } as never,
    { service: issuer, instance: `${issuer}-0` },
  );
}
