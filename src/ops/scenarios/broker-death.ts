// Scenario "a broker dies": on a 3-broker cluster, the leader of the busiest partitions is SIGKILLed mid-stream; the sink ends with every trade once.

import { openBus } from '../../bus/open.ts';
import { type Bus, type TopicSpec } from '../../bus/types.ts';
import { deadLetterProduct, encode, trades as tradesProduct, topicConfigs } from '../../contracts/index.ts';
import { type Trade } from '../../contracts/schema/trades.ts';
import { type ServiceRunner } from '../../runtime/index.ts';
import { createWriter, openDatabase, type SqlDatabase } from '../../services/writer/index.ts';
import { readTrades } from '../../services/writer/read.ts';
import {
  findBrokerProcesses,
  runKafkaTool,
  startKafka,
  stopKafka,
  type KafkaRunning,
} from '../kafka/index.ts';
import { loadCapturedTrades } from './data.ts';
import { startInstance, stopAll } from './service.ts';
import { renamed, uniqueName, waitCaughtUp, withAdmin } from './topics.ts';
import { type Progress, type ScenarioVerdict, silentProgress } from './types.ts';

export interface BrokerDeathOptions {
  /** Kafka home of the cluster this scenario starts (3 brokers, RF 3, min.insync.replicas=2) and stops. */
  readonly home: string;
  /** Where the writer stores the trades: postgres://... (or pglite:<dir>). */
  readonly database: string;
  /** Schema of the writer's tables; default a unique one, dropped at the end unless `keep`. */
  readonly schema?: string;
  /** Captured trades streamed (default all 34,419 of both days). */
  readonly trades?: number;
  /** Trades per second of the feed (default 1,500: the stream lasts ~20 s, long enough to outlive the election). */
  readonly rate?: number;
  /** Partitions of the trades topic (default 6). */
  readonly partitions?: number;
  /**
   * Which broker dies: the leader of the busiest partitions (default), or the coordinator of the
   * writer's consumer group, whose commits and heartbeats must find the newly elected one.
   */
  readonly victim?: 'busiest-leader' | 'group-coordinator';
  readonly progress?: Progress;
  readonly keep?: boolean;
  readonly capturesDir?: string;
}

export interface BrokerDeathResult extends ScenarioVerdict {
  readonly produced: number;
  /** Rows in the sink, and distinct trade keys among them. */
  readonly rows: number;
  readonly distinct: number;
  readonly victim: number;
  /** Trades the feed had sent when the broker died, and how many it sent after. */
  readonly sentBeforeKill: number;
  /** Batches the feed had to send again because the dead leader did not acknowledge them. */
  readonly resends: number;
  /** Records on the trades topic at the end: more than produced when a resent batch had been written after all. */
  readonly onLog: number;
  /** From the kill until every partition of the topic had a live leader. */
  readonly electionMs: number;
}

const TOPIC_CONFIGS = { 'min.insync.replicas': '2' };

/**
 * Starts a 3-broker KRaft cluster, creates the trades topic (and its DLQ) with replication
 * factor 3 and min.insync.replicas=2, and runs the writer on it into the database. A feed sends
 * the real captured trades with the bus's producer (idempotent, acks=all); a third of the way
 * in, the broker that leads the partitions holding the most records is SIGKILLed. A batch the
 * feed cannot get acknowledged is sent again (the writer's upsert by trade id makes a
 * duplicate on the log harmless). Verdict: the database holds every produced trade exactly
 * once, each row equal to the trade sent (exact decimal text), nothing else.
 */
export async function runBrokerDeath(options: BrokerDeathOptions): Promise<BrokerDeathResult> {
  const progress = options.progress ?? silentProgress;
  const { trades: values } = await loadCapturedTrades({
    days: 2,
    ...(options.trades ? { limit: options.trades } : {}),
    ...(options.capturesDir ? { dir: options.capturesDir } : {}),
  });
  progress(`starting a 3-broker Kafka cluster in ${options.home}`);
  const started = Date.now();
  let bus: Bus | null = null;
  let db: SqlDatabase | null = null;
  const runners: ServiceRunner[] = [];
  const schema = options.schema ?? uniqueName('sfscn_bd').replace(/[^a-z0-9_]/g, '_');
  const group = uniqueName('sfscn-bd-writer');
  try {
    const cluster = await startKafka({ mode: 'cluster', home: options.home, port: 0 });
    progress(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${cluster.bootstrap}`);
    // Retries ride out the seconds between the death and the election.
    bus = await openBus(`kafka://${cluster.bootstrap}?retries=10&timeoutMs=15000`);
    const input = renamed(tradesProduct, uniqueName('sfscn-bd-trades'));
    const partitions = options.partitions ?? 6;
    const product = { ...input, partitions };
    const specs: TopicSpec[] = [product, deadLetterProduct(product)].map((p) => ({
      name: p.topic,
      partitions,
      replicationFactor: 3,
      configs: { ...topicConfigs(p.cleanup), ...TOPIC_CONFIGS },
    }));
    await withAdmin(bus, (admin) => admin.createTopics(specs));
    db = await openDatabase(options.database, { schema });
    runners.push(
      await startInstance(
        bus,
        createWriter({ name: group, database: db, only: true, topics: { trades: product } }),
        progress,
      ),
    );
    progress(
      `topic ${product.topic}: ${partitions} partitions, RF 3, min.insync.replicas=2; writer into ${db.description}`,
    );

    const rate = options.rate ?? 1500;
    const third = Math.floor(values.length / 3);
    let sent = 0;
    let resends = 0;
    let killed: { victim: number; at: number; sent: number } | null = null;
    // Watched while the feed goes on, so the figure is the election's, not the feed's end.
    let election: Promise<number> | null = null;
    const producer = bus.producer();
    const begin = Date.now();
    try {
      while (sent < values.length) {
        const due = Math.min(values.length, Math.ceil(((Date.now() - begin + 50) / 1000) * rate));
        if (due > sent) {
          const batch = values
            .slice(sent, due)
            .map((v) => encode(product, v, { service: 'scenario-feed', instance: 'scenario-feed-0' }));
          for (let attempt = 1; ; attempt++) {
            try {
              await producer.sendBatch(batch);
              break;
            } catch (error) {
              if (attempt >= 20) throw error;
              resends++;
              progress(
                `feed: batch of ${batch.length} not acknowledged (${(error as Error).message}); sending again`,
              );
              await new Promise((resolve) => setTimeout(resolve, 500));
            }
          }
          sent = due;
        }
        if (!killed && sent >= third) {
          const k =
            options.victim === 'group-coordinator'
              ? await killGroupCoordinator(cluster, group, sent, progress)
              : await killBusiestLeader(bus, cluster, product.topic, sent, progress);
          killed = k;
          election = waitForLeaders(bus, product.topic, k.victim, k.at);
          election.then(
            (ms) =>
              progress(
                `every partition of ${product.topic} has a live leader again, ${ms} ms after the kill`,
              ),
            () => undefined,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await producer.close().catch(() => undefined);
    }
    if (!killed || !election) throw new Error('the feed ended before a broker was killed');
    progress(
      `feed done: ${values.length} trades sent (${values.length - killed.sent} after the kill, ${resends} batches sent again)`,
    );
    const electionMs = await election;
    await waitCaughtUp(bus, group, [product.topic], { progress, what: 'writer', timeoutMs: 120_000 });
    const writerState = runners[0]!.lifecycle.state;
    let onLog = 0;
    for (const e of await withAdmin(bus, (admin) => admin.listOffsets(product.topic, 'latest')))
      onLog += e.offset;

    const [count] = await db.query<{ rows: string | number; distinct: string | number }>(
      'SELECT count(*) AS rows, count(DISTINCT (exchange, symbol, trade_key)) AS distinct FROM trades',
    );
    const rows = Number(count!.rows);
    const distinct = Number(count!.distinct);
    const differences = await compareStored(db, values);
    if (rows !== values.length) differences.unshift(`${rows} rows for ${values.length} trades produced`);
    if (writerState !== 'running') differences.unshift(`the writer is ${writerState}, not running`);
    const alive = (await findBrokerProcesses(options.home)).length;
    return {
      scenario: 'broker-death',
      backend: 'kafka cluster',
      checks: [
        `${values.length} real trades through ${product.topic} (RF 3, min.insync.replicas=2, acks=all, idempotent producer)`,
        `broker ${killed.victim} (${options.victim === 'group-coordinator' ? "the writer group's coordinator" : 'leader of the busiest partitions'}) SIGKILLed after ${killed.sent} trades; every partition led again ${electionMs} ms later; ${alive} brokers left`,
        `feed resent ${resends} batches; the log holds ${onLog} records (${onLog - values.length} duplicates from resends); sink: ${rows} rows, ${distinct} distinct trade keys, each compared with the trade sent`,
      ],
      differences,
      produced: values.length,
      rows,
      distinct,
      victim: killed.victim,
      sentBeforeKill: killed.sent,
      resends,
      onLog,
      electionMs,
    };
  } finally {
    if (bus) await stopAll(bus, runners, []).catch(() => undefined);
    if (db) {
      if (!options.keep) await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await db.close().catch(() => undefined);
    }
    await bus?.close().catch(() => undefined);
    if (!options.keep) {
      progress('stopping the cluster');
      await stopKafka({ home: options.home, graceMs: 5000 }).catch(() => undefined);
    }
  }
}

/** SIGKILLs the broker that coordinates `group` (as Kafka's own kafka-consumer-groups names it). */
async function killGroupCoordinator(
  cluster: KafkaRunning,
  group: string,
  sent: number,
  progress: Progress,
): Promise<{ victim: number; at: number; sent: number }> {
  const described = await runKafkaTool('consumer-groups', ['--describe', '--group', group, '--state'], {
    bootstrap: cluster.bootstrap,
  });
  const row = described.stdout.split('\n').find((line) => line.startsWith(`${group} `));
  const id = row === undefined ? null : /\((\d+)\)/.exec(row);
  if (!id)
    throw new Error(
      `kafka-consumer-groups named no coordinator of ${group}:\n${described.stdout}${described.stderr}`,
    );
  const victim = Number(id[1]);
  const broker = cluster.brokers.find((b) => b.nodeId === victim);
  if (!broker)
    throw new Error(`broker ${victim} coordinates ${group} but is not one of this cluster's brokers`);
  process.kill(broker.pid, 'SIGKILL');
  progress(
    `SIGKILLed broker ${victim} (pid ${broker.pid}), coordinator of group ${group}, after ${sent} trades`,
  );
  return { victim, at: Date.now(), sent };
}

/** SIGKILLs the broker leading the partitions that hold the most records of `topic`. */
async function killBusiestLeader(
  bus: Bus,
  cluster: KafkaRunning,
  topic: string,
  sent: number,
  progress: Progress,
): Promise<{ victim: number; at: number; sent: number }> {
  const [description] = await withAdmin(bus, (admin) => admin.describeTopics([topic]));
  const ends = await withAdmin(bus, (admin) => admin.listOffsets(topic, 'latest'));
  const load = new Map<number, number>();
  for (const p of description!.partitions)
    if (p.leader !== null)
      load.set(
        p.leader,
        (load.get(p.leader) ?? 0) + (ends.find((e) => e.partition === p.partition)?.offset ?? 0),
      );
  const [victim, records] = [...load].sort((a, b) => b[1] - a[1])[0]!;
  const broker = cluster.brokers.find((b) => b.nodeId === victim);
  if (!broker) throw new Error(`broker ${victim} leads ${topic} but is not one of this cluster's brokers`);
  process.kill(broker.pid, 'SIGKILL');
  progress(
    `SIGKILLed broker ${victim} (pid ${broker.pid}), leader of partitions holding ${records} records, after ${sent} trades`,
  );
  return { victim, at: Date.now(), sent };
}

/** Waits until no partition of `topic` is led by the dead broker (or leaderless); returns ms since the kill. */
async function waitForLeaders(bus: Bus, topic: string, dead: number, killedAt: number): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [d] = await withAdmin(bus, (admin) => admin.describeTopics([topic])).catch(() => [null]);
    if (d && d.partitions.every((p) => p.leader !== null && p.leader !== dead)) return Date.now() - killedAt;
    if (Date.now() > deadline)
      throw new Error(`${topic}: partitions still led by dead broker ${dead} after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Every produced trade stored once and as sent (exact text), nothing else stored. */
async function compareStored(db: SqlDatabase, sent: readonly Trade[]): Promise<string[]> {
  const stored = new Map<string, Trade>();
  for (const symbol of [...new Set(sent.map((t) => t.symbol))])
    for (const t of await readTrades(db, { symbol, from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10_000_000 }))
      stored.set(`${t.exchange}:${t.symbol}:${t.tradeKey}`, t);
  const out: string[] = [];
  const seen = new Set<string>();
  for (const t of sent) {
    const key = `${t.exchange}:${t.symbol}:${t.tradeId}`;
    seen.add(key);
    const s = stored.get(key);
    if (!s) out.push(`trade ${key}: missing`);
    else
      for (const field of ['timestamp', 'localTimestamp', 'price', 'quantity', 'aggressorSide'] as const)
        if (s[field] !== t[field])
          out.push(`trade ${key}: ${field} ${String(s[field])}, sent ${String(t[field])}`);
  }
  for (const key of stored.keys()) if (!seen.has(key)) out.push(`trade ${key}: stored, never sent`);
  return out.length > 20 ? [...out.slice(0, 20), `... and ${out.length - 20} more`] : out;
}
