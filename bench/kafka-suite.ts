// Runs every Kafka test (produce and consume, each record size, three clients) on one broker.

import { type Bus } from '../src/bus/types.ts';
import { type Broker } from './broker.ts';
import { JAVA_TUNED_PROPS, javaConsume, javaProduce } from './kafka-java.ts';
import { kafkajsClient, kafkajsConsume, kafkajsProduce } from './kafkajs.ts';
import { openKafka, sfConsume, sfProduce } from './kafka-streamforge.ts';
import { type KafkaRow } from './report.ts';
import { type BenchParams, best, type Client, Clients, type Figure, progress, withCpu } from './types.ts';

type Produce = (topic: string, records: number, size: number) => Promise<Figure>;
type Consume = (topic: string, records: number, group: string) => Promise<{ fetch: Figure; total: Figure }>;

const rate = (f: Figure): string =>
  `${Math.round(f.recordsPerSec).toLocaleString('en-US')} records/s, ${f.mbPerSec.toFixed(1)} MB/s` +
  (f.cpuMicrosPerRecord === undefined ? '' : `, ${f.cpuMicrosPerRecord.toFixed(2)} us CPU/record`);

export async function benchKafka(params: BenchParams, broker: Broker, rows: KafkaRow[]): Promise<void> {
  const bus: Bus = await openKafka(broker.bootstrap);
  const kafkajs = kafkajsClient(broker.bootstrap);
  const admin = bus.admin();
  const run = `sfbench-${Date.now().toString(36)}`;
  const created: string[] = [];
  const topic = async (name: string): Promise<string> => {
    const full = `${run}-${name}`;
    await admin.createTopics([{ name: full, partitions: params.partitions, replicationFactor: 1 }]);
    created.push(full);
    return full;
  };
  const producers: Record<Client, Produce> = {
    java: (t, n, s) => javaProduce(broker.bootstrap, t, n, s),
    'java-tuned': (t, n, s) => javaProduce(broker.bootstrap, t, n, s, JAVA_TUNED_PROPS),
    streamforge: (t, n, s) => withCpu(() => sfProduce(bus, t, n, s)),
    kafkajs: (t, n, s) => withCpu(() => kafkajsProduce(kafkajs, t, n, s)),
  };
  const consumers: Partial<Record<Client, Consume>> = {
    java: (t, n, g) => javaConsume(broker.bootstrap, t, n, g),
    streamforge: (t, n, g) => withCpu(() => sfConsume(bus, t, n, g)),
    kafkajs: (t, n, g) => withCpu(() => kafkajsConsume(kafkajs, t, n, g)),
  };
  const clients = Object.values(Clients);
  // Consumers have no tuned Java variant: the tool's fetch defaults already ask for 1 MiB per partition.
  const readers = clients.filter((c) => consumers[c] !== undefined);
  try {
    // Warm-up: JIT of the Node clients, the broker's own warm-up, the page cache.
    for (const client of [Clients.JAVA, Clients.STREAMFORGE, Clients.KAFKAJS]) {
      progress(`warm-up: ${client} produces and consumes ${params.warmupRecords} x 100 B`);
      const t = await topic(`warmup-${client}`);
      await producers[client](t, params.warmupRecords, 100);
      if (client !== Clients.JAVA) await consumers[client]!(t, params.warmupRecords, `${t}-group`);
    }
    for (const { recordSize, records } of params.cases) {
      // Every consumer reads the topic written by the Java tool: the same batches for all of them.
      let source: string | null = null;
      const produced = new Map<Client, Figure[]>(clients.map((c) => [c, []]));
      for (let r = 1; r <= params.rounds; r++) {
        for (const client of clients) {
          const t = await topic(`${recordSize}-${client}-r${r}`);
          progress(`produce ${records} x ${recordSize} B with ${client} (round ${r}/${params.rounds})...`);
          const f = await producers[client](t, records, recordSize);
          progress(`  ${client}: ${rate(f)}`);
          produced.get(client)!.push(f);
          if (client === Clients.JAVA) source ??= t;
        }
      }
      for (const client of clients)
        rows.push({ direction: 'produce', recordSize, client, figure: best(produced.get(client)!) });
      const fetched = new Map<Client, Figure[]>(readers.map((c) => [c, []]));
      const totals = new Map<Client, Figure[]>(readers.map((c) => [c, []]));
      for (let r = 1; r <= params.rounds; r++) {
        for (const client of readers) {
          const group = `${run}-${recordSize}-${client}-g${r}`;
          progress(`consume ${records} x ${recordSize} B with ${client} (round ${r}/${params.rounds})...`);
          const { fetch, total } = await consumers[client]!(source!, records, group);
          progress(`  ${client}: ${rate(fetch)} (${rate(total)} including the group join)`);
          fetched.get(client)!.push(fetch);
          totals.get(client)!.push(total);
        }
      }
      for (const client of readers) {
        rows.push({
          direction: 'consume',
          recordSize,
          client,
          figure: best(fetched.get(client)!),
          total: best(totals.get(client)!),
        });
      }
    }
  } finally {
    progress(`deleting the ${created.length} test topics`);
    await admin
      .deleteTopics(created)
      .catch((e: unknown) => progress(`could not delete topics: ${String(e)}`));
    await bus.close();
  }
}
