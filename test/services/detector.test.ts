// The detector on the exchange simulator, both backends: injected wash trades, spoofing and a price jump through loader -> md.raw -> parser -> detector.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BusRecord } from '../../src/bus/types.ts';
import { alerts, rawTopics } from '../../src/contracts/index.ts';
import { ServiceRunner } from '../../src/runtime/index.ts';
import { changelogTopic } from '../../src/runtime/state/index.ts';
import { createDetector, DETECTOR_STORE } from '../../src/services/detector/index.ts';
import { createLoader } from '../../src/services/loader/index.ts';
import { startSimulator } from '../../src/venues/simulator/index.ts';
import { backends, defer, eventually, tempGroup } from '../helpers/backends.ts';
import { json, readAll, renamed, tempProductTopics } from '../runtime/helpers.ts';
import { normalizedTopics, startParser } from './helpers.ts';

const TIMEOUT = { timeout: 240_000 } as const;

type AlertRecord = Record<string, unknown> & { evidence: { name: string; value: string }[] };
const evidenceOf = (a: AlertRecord): Record<string, string> =>
  Object.fromEntries(a.evidence.map((e) => [e.name, e.value]));

for (const backend of backends) {
  describe(`detector on ${backend.name}`, { skip: backend.skip }, () => {
    it(
      'alerts injected wash trades, spoofing and a price jump on the simulator, each with its evidence; no gap or crossed-book alert on a whole feed',
      TIMEOUT,
      async (t) => {
        const bus = await backend.open(t);
        const sim = await startSimulator({
          port: 0,
          seed: 5,
          symbols: ['BTCUSDT', 'ETHUSDT'],
          futuresSymbols: [],
        });
        defer(t, () => sim.close());
        const raw = renamed(rawTopics.binance, 'd-raw');
        const out = normalizedTopics('d');
        const alertTopic = renamed(alerts, 'd-alerts');
        const name = tempGroup(t, bus, 'detector');
        await tempProductTopics(
          t,
          bus,
          [raw, out.trades, out.bookDelta, out.klines, out.instruments, alertTopic],
          [changelogTopic(name, DETECTOR_STORE)],
        );
        const loader = new ServiceRunner(
          createLoader({
            exchange: 'binance',
            restUrl: sim.restUrl,
            wsUrl: sim.wsUrl,
            symbols: ['BTCUSDT', 'ETHUSDT'],
            channels: ['trades', 'book'],
            name: tempGroup(t, bus, 'd-loader'),
            product: raw,
          }),
          { bus, heartbeatMs: 0, control: false },
        );
        defer(t, () => loader.stop('test over'));
        await loader.start();
        await startParser(t, bus, { group: 'd-parser', exchanges: ['binance'], raw: { binance: raw }, out });
        const detector = new ServiceRunner(
          createDetector({
            name,
            topics: { trades: out.trades, bookDelta: out.bookDelta, alerts: alertTopic },
            // A short warm-up: returns of 250 ms buckets, eight of them before a jump can be judged.
            priceJump: { bucketMs: 250, minSamples: 8 },
          }),
          { bus, heartbeatMs: 0, control: false },
        );
        defer(t, () => detector.stop('test over'));
        await detector.start();

        // Let the windows fill and the books sync from the loader's snapshots.
        assert.ok(
          await eventually(
            async () => (await readAll(bus, out.trades.topic, (r) => r.length >= 300, 1000)).length >= 300,
            60_000,
          ),
          'trades flow',
        );
        await new Promise((r) => setTimeout(r, 4000));
        sim.faults.washTrades('BTCUSDT', 8, 3);
        // The simulated ETH price moves tens of ticks a second, and the spoofer pulls its order as
        // soon as the price reaches it: a pull within minLifeMs is a flicker and rightly not
        // alerted, so spoof again (alternating sides) until one is held long enough.
        const spoofed = async (): Promise<boolean> =>
          (await readAll(bus, alertTopic.topic, () => false, 300)).some(
            (r) => json(r)['rule'] === 'book.spoof' && json(r)['symbol'] === 'ETHUSDT',
          );
        for (let attempt = 0; attempt < 8 && !(await spoofed()); attempt++) {
          sim.faults.spoof('ETHUSDT', attempt % 2 === 0 ? 'bid' : 'ask', 400, 1500);
          await new Promise((r) => setTimeout(r, 3500));
        }
        sim.faults.priceJump('BTCUSDT', 150);

        const wanted = (rs: readonly BusRecord[]): boolean => {
          const rules = new Set(rs.map((r) => `${json(r)['symbol']}/${json(r)['rule']}`));
          return ['BTCUSDT/trade.wash', 'ETHUSDT/book.spoof', 'BTCUSDT/price.jump'].every((x) =>
            rules.has(x),
          );
        };
        let found: BusRecord[] = [];
        assert.ok(
          await eventually(
            async () => wanted((found = await readAll(bus, alertTopic.topic, wanted, 1000))),
            90_000,
          ),
          `all three alerted; got ${found.map((r) => `${json(r)['symbol']}/${json(r)['rule']}`).join(', ')}`,
        );
        const all = found.map((r) => json(r) as AlertRecord);
        const one = (symbol: string, rule: string): AlertRecord =>
          all.find((a) => a.symbol === symbol && a.rule === rule)!;

        const wash = evidenceOf(one('BTCUSDT', 'trade.wash'));
        assert.ok(Number(wash['trades']) >= 6, 'the run of trades');
        assert.equal(
          Number(wash['quantity']),
          0.02,
          'the same size each time: the simulator typical BTC order',
        );
        assert.ok(Number(wash['durationMs']) <= 21, 'within milliseconds');
        assert.ok(wash['firstTradeId'] && wash['lastTradeId'], 'the trades named');

        const spoofAlert = one('ETHUSDT', 'book.spoof');
        const spoof = evidenceOf(spoofAlert);
        assert.ok(spoof['side'] === 'bid' || spoof['side'] === 'ask');
        // 400 x the typical 0.3 ETH order; the book diff that shows it may also carry a small order
        // another participant placed at the same price within the same 100 ms.
        const added = Number(spoof['addedQuantity']);
        assert.ok(added >= 120 && added < 123, `400 x the typical 0.3 ETH order, added ${added}`);
        assert.ok(Number(spoof['levelRank']) <= 5, 'near the top');
        assert.ok(Number(spoof['sizeMultiple']) >= 20, 'large against the median level');
        assert.ok(
          Number(spoof['lifeMs']) >= 1500 && Number(spoof['lifeMs']) <= 2600,
          `held ~2 s: ${spoof['lifeMs']}`,
        );
        assert.equal(Number(spoof['tradedAtPrice']), 0, 'never traded');

        const jumpAlert = one('BTCUSDT', 'price.jump');
        const jump = evidenceOf(jumpAlert);
        assert.ok(Number(jump['moveBps']) >= 15, `moved ${jump['moveBps']} bps`);
        assert.ok(Number(jump['robustZ']) >= 10, 'beyond the z threshold');
        for (const name of ['price', 'referencePrice', 'zThreshold', 'windowFrom', 'windowTo'])
          assert.ok(jump[name] !== undefined, `evidence ${name}`);
        assert.ok(['warning', 'critical'].includes(jumpAlert['severity'] as string));
        assert.match(jumpAlert['alertId'] as string, /^price\.jump:binance:BTCUSDT:\d+:/);

        for (const a of all)
          assert.ok(
            !['sequence.gap', 'trade.id-gap', 'book.crossed', 'book.locked'].includes(a.rule as string),
            `a whole feed gives no ${a.rule as string}: ${a['message'] as string}`,
          );
        assert.equal(detector.lifecycle.state, 'running');
      },
    );
  });
}
