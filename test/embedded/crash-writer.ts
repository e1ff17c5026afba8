// Child process of crash.test.ts: appends to the embedded log until killed, printing every
// acknowledged record as "ack <partition> <offset> <seq>" on stdout (pipes are synchronous on Linux).

import { openEmbeddedBus } from '../../src/bus/embedded/index.ts';
import { crashValue } from './crash-values.ts';

const [dir, startArg] = process.argv.slice(2);
const bus = await openEmbeddedBus(dir!, {});
await bus.admin().createTopics([{ name: 'crash', partitions: 3 }], { ifNotExists: true });
const producer = bus.producer({ lingerMs: 1 });
let seq = Number(startArg);
process.stdout.write('ready\n');
while (true) {
  const n = 1 + Math.floor(Math.random() * 400);
  const records = Array.from({ length: n }, () => {
    const s = seq++;
    return { topic: 'crash', key: `k${s % 17}`, value: crashValue(s), headers: { seq: String(s) } };
  });
  // Mix both paths: a batch call, and individually sent records that the producer batches.
  const acks =
    n % 2 === 0 ? await producer.sendBatch(records) : await Promise.all(records.map((r) => producer.send(r)));
  let out = '';
  acks.forEach((m, i) => (out += `ack ${m.partition} ${m.offset} ${records[i]!.headers.seq}\n`));
  process.stdout.write(out);
}
