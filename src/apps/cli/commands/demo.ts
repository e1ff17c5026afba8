// `streamforge demo`: an end-to-end run over the bus on real recorded Binance traffic.
// It stands in for the full platform (`npm start`) until the loader and parser services land.

import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { type Command } from 'commander';
import { type Bus } from '../../../bus/types.ts';
import { withBus } from '../bus.ts';
import { action } from '../errors.ts';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const captures = ['spot_btcusdt_20240808.gz', 'spot_ethusdt_20240808.gz'].map((f) =>
  path.join(projectRoot, '../shared/data/market/binance-spot-hftbacktest', f),
);
const RAW_TOPIC = 'md.raw.binance';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('replay recorded Binance frames into md.raw.binance and follow them with a consumer group')
    .action(
      action(async (_options: unknown, command: Command) => {
        await withBus(command, runDemo);
      }),
    );
}

async function runDemo(bus: Bus): Promise<void> {
  const missing = captures.filter((f) => !existsSync(f));
  if (missing.length > 0)
    throw new Error(
      `Recorded data not found: ${missing.join(', ')} (the shared/ folder must sit beside the project)`,
    );
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  log(`StreamForge demo on ${bus.uri}`);
  await bus
    .admin()
    .createTopics(
      [{ name: RAW_TOPIC, partitions: 3, configs: { 'retention.ms': String(7 * 24 * 3600_000) } }],
      { ifNotExists: true },
    );

  const producer = bus.producer();
  const started = Date.now();
  let produced = 0;
  for (const file of captures) {
    const pending: Promise<unknown>[] = [];
    for await (const line of createInterface({
      input: createReadStream(file).pipe(createGunzip()),
      crlfDelay: Infinity,
    })) {
      const space = line.indexOf(' ');
      const receiveNs = line.slice(0, space);
      const frame = line.slice(space + 1);
      const symbol = /"s":"([A-Z0-9]+)"/.exec(frame)?.[1] ?? path.basename(file).split('_')[1]!.toUpperCase();
      pending.push(
        producer.send({
          topic: RAW_TOPIC,
          key: `binance:${symbol}`,
          value: frame,
          timestamp: Math.floor(Number(receiveNs) / 1e6),
          headers: { 'receive-time-ns': receiveNs, source: path.basename(file) },
        }),
      );
      produced++;
      if (produced % 20_000 === 0) log(`  loaded ${produced} frames`);
    }
    await Promise.all(pending);
  }
  await producer.close();
  log(`Loaded ${produced} recorded frames into ${RAW_TOPIC} in ${Date.now() - started} ms`);

  const group = `demo-trade-tape-${Date.now()}`;
  const consumer = bus.consumer({ groupId: group, autoOffsetReset: 'earliest' });
  await consumer.subscribe([RAW_TOPIC]);
  const trades = new Map<string, { count: number; last: string; first: string }>();
  let seen = 0;
  let idle = 0;
  while (seen < produced && idle < 20) {
    const records = await consumer.poll({ timeoutMs: 500 });
    idle = records.length === 0 ? idle + 1 : 0;
    for (const record of records) {
      const frame = JSON.parse(record.value!.toString('utf8')) as {
        stream?: string;
        data?: { s: string; p: string };
      };
      if (frame.stream?.endsWith('@trade') && frame.data) {
        const t = trades.get(frame.data.s) ?? { count: 0, last: frame.data.p, first: frame.data.p };
        t.count++;
        t.last = frame.data.p;
        trades.set(frame.data.s, t);
      }
    }
    seen += records.length;
    await consumer.commit();
  }
  const lag = await bus.admin().groupLag(group, [RAW_TOPIC]);
  await consumer.close();
  for (const [symbol, t] of trades) log(`  ${symbol}: ${t.count} trades, first ${t.first}, last ${t.last}`);
  log(
    `Consumer group ${group} read ${seen} of ${produced} frames; remaining lag ${lag.reduce((s, l) => s + l.lag, 0)}`,
  );
}
