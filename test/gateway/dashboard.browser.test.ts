// The dashboard in real headless Chromium over the whole pipeline: simulator -> loader -> parser -> orderbook/candles/detector -> gateway -> page.

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ServiceHost } from '../../src/runtime/index.ts';
import { createCandles } from '../../src/services/candles/index.ts';
import { createDetector } from '../../src/services/detector/index.ts';
import { createJobs } from '../../src/services/jobs/index.ts';
import { createOrchestrator } from '../../src/services/orchestrator/index.ts';
import { startGateway } from '../../src/services/gateway/index.ts';
import { createLoader } from '../../src/services/loader/index.ts';
import { createOrderbook } from '../../src/services/orderbook/index.ts';
import { createParser } from '../../src/services/parser/index.ts';
import { startSimulator } from '../../src/venues/simulator/index.ts';
import { defer, embeddedBackend } from '../helpers/backends.ts';
import { postgresSkipReason, postgresUrl, tempSchema } from '../helpers/postgres.ts';

// The page's globals, typed just enough for the callbacks that run inside the browser (the project's lib has no DOM).
interface CanvasLike {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { readonly data: Uint8ClampedArray };
  } | null;
}
declare const document: {
  querySelector(
    selector: string,
  ): { readonly textContent: string | null; getAttribute(name: string): string | null } | null;
  querySelectorAll(selector: string): Iterable<CanvasLike>;
};

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.resolve(import.meta.dirname, '../../.streamforge/screenshots');
const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
const CONFLATE_MS = 200;

/** A data-* counter of an element, as a number. */
async function counter(page: Page, selector: string, name: string): Promise<number> {
  return Number((await page.locator(selector).getAttribute(`data-${name}`)) ?? 0);
}

/** Waits until the counter exceeds `above`, failing with what it was. */
async function counterAbove(page: Page, selector: string, name: string, above: number, timeout = 30_000) {
  await page
    .waitForFunction(
      ([s, n, a]) =>
        Number(document.querySelector(s as string)?.getAttribute(`data-${n}`) ?? 0) > (a as number),
      [selector, name, above] as const,
      { timeout, polling: 100 },
    )
    .catch(async (error: unknown) => {
      throw new Error(
        `${selector} data-${name} stayed at ${await counter(page, selector, name)} (wanted > ${above}): ${(error as Error).message}`,
      );
    });
}

describe('dashboard in headless Chromium', { skip: await postgresSkipReason() }, () => {
  it(
    'shows live candles, the book, trades, an injected anomaly as an alert, group lag, the catalog, and a workflow started from the form progressing',
    { timeout: 120_000 },
    async (t) => {
      const bus = await embeddedBackend.open(t);
      const sim = await startSimulator({ port: 0, symbols: SYMBOLS, futuresSymbols: [] });
      defer(t, () => sim.close());
      // The job worker keeps its tables in PostgreSQL (a fresh schema); the orchestrator serves its API on a free port.
      const dbSchema = await tempSchema(t, 'sf_dashboard');
      const orchestrator = createOrchestrator({ port: 0, checkIntervalMs: 200 });
      const host = new ServiceHost({
        bus,
        logLevel: 'error',
        services: [
          {
            definition: createLoader({
              exchange: 'binance',
              restUrl: sim.restUrl,
              wsUrl: sim.wsUrl,
              symbols: SYMBOLS,
              channels: ['trades', 'book', 'klines', 'instruments'],
            }),
          },
          { definition: createParser({ exchanges: ['binance'] }) },
          // Depth four times a second (the default is once): the ladder's deeper levels stay fresh.
          { definition: createOrderbook({ depthIntervalMs: 250 }) },
          // Interim candles: the forming candle moves on the chart, as a trader expects.
          { definition: createCandles({ interim: true }) },
          { definition: createDetector() },
          { definition: orchestrator },
          {
            definition: createJobs({
              database: await postgresUrl(),
              schema: dbSchema,
              restUrls: { binance: sim.restUrl, 'binance-futures': sim.futuresRestUrl },
              progressMs: 200,
            }),
          },
        ],
      });
      defer(t, () => host.stop('test over'));
      await host.start();
      const orchestratorUrl = (orchestrator as unknown as { url: string | null }).url;
      assert.ok(orchestratorUrl, 'the orchestrator serves its API');
      const gateway = await startGateway({
        bus,
        port: 0,
        lagIntervalMs: 1000,
        conflateMs: CONFLATE_MS,
        orchestratorUrl,
        log: () => undefined,
      });
      defer(t, () => gateway.stop());

      const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      defer(t, () => browser.close());
      // UTC, so that the form's datetime-local fields mean what the test computes.
      const page = await browser.newPage({ viewport: { width: 1600, height: 1500 }, timezoneId: 'UTC' });
      await mkdir(SHOTS, { recursive: true });
      // A failed run leaves the page as it was in failure.png, for whoever reads the CI log.
      let passed = false;
      defer(t, async () => {
        if (!passed)
          await page
            .screenshot({ path: path.join(SHOTS, 'failure.png'), fullPage: true })
            .catch(() => undefined);
      });
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));

      const response = await page.goto(`${gateway.url}/?instrument=binance:BTCUSDT&interval=1s`);
      assert.equal(response?.status(), 200);
      assert.equal(await page.title(), 'StreamForge');
      await page.locator('#connection[data-state="live"]').waitFor({ timeout: 15_000 });

      // The chart receives candles and draws them.
      await counterAbove(page, '#chart-panel', 'candles', 3);
      const chartUpdates = await counter(page, '#chart-panel', 'updates');
      await counterAbove(page, '#chart-panel', 'updates', chartUpdates + 2);
      const painted = await page.evaluate(() => {
        let up = 0;
        let down = 0;
        for (const canvas of document.querySelectorAll('#chart canvas')) {
          const ctx = canvas.getContext('2d');
          if (!ctx || canvas.width === 0 || canvas.height === 0) continue;
          const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
          for (let i = 0; i < data.length; i += 4) {
            const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
            if (Math.abs(r - 38) < 8 && Math.abs(g - 166) < 8 && Math.abs(b - 154) < 8) up++;
            if (Math.abs(r - 239) < 8 && Math.abs(g - 83) < 8 && Math.abs(b - 80) < 8) down++;
          }
        }
        return up + down;
      });
      assert.ok(painted > 50, `the chart painted ${painted} candle-coloured pixels`);
      assert.match((await page.locator('#chart-legend').textContent()) ?? '', /O \d+\.\d+ +H \d+\.\d+/);

      // The book ladder fills and keeps updating; prices are the exchange's decimal text.
      await counterAbove(page, '#book-panel', 'levels', 10);
      const bookUpdates = await counter(page, '#book-panel', 'updates');
      await counterAbove(page, '#book-panel', 'updates', bookUpdates + 5);
      const bid = (await page.locator('#top-line').getAttribute('data-bid')) ?? '';
      const ask = (await page.locator('#top-line').getAttribute('data-ask')) ?? '';
      assert.match(bid, /^\d+\.\d{8}$/, 'the best bid as Binance writes it');
      assert.ok(Number(bid) < Number(ask), `bid ${bid} below ask ${ask}`);
      await counterAbove(page, '#trades-panel', 'count', 5);

      // An injected anomaly (the simulator's wash trades) becomes an alert with its evidence.
      sim.faults.washTrades('BTCUSDT');
      const alert = page.locator('#alerts li[data-rule="trade.wash"]').first();
      await alert.waitFor({ timeout: 30_000 });
      assert.match((await alert.locator('.instrument').textContent()) ?? '', /binance:BTCUSDT/);
      const evidence = await alert.locator('dt').allTextContents();
      assert.ok(
        evidence.includes('trades') && evidence.includes('quantity'),
        `evidence ${evidence.join(', ')}`,
      );

      // At 20x the simulator's order flow the page still gets at most one frame per conflation
      // interval (plus a snapshot), while the gateway conflates what came in between.
      type Stats = { records: Record<string, number>; conflated: { top: number; trades: number } };
      const statsOf = async () => (await (await fetch(`${gateway.url}/api/stats`)).json()) as Stats;
      const before = await statsOf();
      const framesBefore = Number(await page.locator('body').getAttribute('data-frames'));
      const started = Date.now();
      sim.faults.burst(20, 3000);
      await counterAbove(
        page,
        '#book-panel',
        'updates',
        (await counter(page, '#book-panel', 'updates')) + 10,
      );
      let after = await statsOf();
      while (
        after.records['md.trades']! - before.records['md.trades']! < 500 &&
        Date.now() - started < 20_000
      ) {
        await page.waitForTimeout(250);
        after = await statsOf();
      }
      const elapsed = Date.now() - started;
      const frames = Number(await page.locator('body').getAttribute('data-frames')) - framesBefore;
      const trades = after.records['md.trades']! - before.records['md.trades']!;
      assert.ok(trades >= 500, `${trades} trades in the burst`);
      assert.ok(frames <= Math.ceil(elapsed / CONFLATE_MS) + 2, `${frames} frames in ${elapsed} ms`);
      assert.ok(after.conflated.top > before.conflated.top, 'book tops were conflated');

      // The lag panel lists the pipeline's groups with their lag and throughput.
      await counterAbove(page, '#lag-panel', 'groups', 3);
      await counterAbove(page, '#lag-panel', 'updates', 2);
      const groups = await page
        .locator('#lag tr[data-group]')
        .evaluateAll((rows) =>
          rows.map((r) => ({ group: r.getAttribute('data-group'), lag: r.getAttribute('data-lag') })),
        );
      for (const name of ['parser', 'orderbook', 'candles', 'detector'])
        assert.ok(
          groups.some((g) => g.group === name && /^\d+$/.test(g.lag ?? '')),
          `${name} in ${JSON.stringify(groups)}`,
        );

      // The catalog lists the data products with owner, schema and example.
      await counterAbove(page, '#catalog-panel', 'count', 15);
      await page.locator('#catalog tr[data-topic="md.alerts"]').click();
      assert.match((await page.locator('#product h3').textContent()) ?? '', /md\.alerts/);
      assert.match((await page.locator('#product pre.example').textContent()) ?? '', /"rule": "clock\.skew"/);
      const schema = (await page.locator('#product .schema pre').textContent()) ?? '';
      assert.match(schema, /"evidence"/, 'the current schema as JSON');
      assert.match(
        (await page.locator('#product .schema h4').textContent()) ?? '',
        /schema v1 \(md\.alerts\)/,
      );

      // queue-events: the services' lifecycle events.
      await counterAbove(page, '#events-panel', 'count', 3);
      // Workflows: a wrong field is refused by the orchestrator and marked on the form.
      const form = page.locator('#workflow-form');
      await page.locator('#workflows-panel[data-orchestrator="reachable"]').waitFor({ timeout: 15_000 });
      await form.locator('input[name="symbol"]').fill('btc-usdt');
      await form.locator('button[type="submit"]').click();
      await page.locator('#workflow-message.error').waitFor({ timeout: 15_000 });
      assert.match((await page.locator('#workflow-message').textContent()) ?? '', /symbol/);
      assert.equal(await form.locator('input[name="symbol"]').getAttribute('aria-invalid'), 'true');
      // Starting one from the form: the backfill of the last 30 minutes of 1m klines from the
      // simulator's REST API, persisted to SQL, features computed; the page follows its steps.
      const minute = Math.floor(Date.now() / 60_000) * 60_000;
      const local = (ms: number): string => new Date(ms).toISOString().slice(0, 16);
      await form.locator('input[name="symbol"]').fill('BTCUSDT');
      await form.locator('select[name="interval"]').selectOption('1m');
      await form.locator('input[name="from"]').fill(local(minute - 30 * 60_000));
      await form.locator('input[name="to"]').fill(local(minute));
      await form.locator('button[type="submit"]').click();
      await page.waitForFunction(
        () => /^started \S+/.test(document.querySelector('#workflow-message')?.textContent ?? ''),
        null,
        { timeout: 15_000 },
      );
      const id = ((await page.locator('#workflow-message').textContent()) ?? '').slice('started '.length);
      const workflow = page.locator(`#workflows li.workflow[data-id="${id}"]`);
      await page
        .locator(`#workflows li.workflow[data-id="${id}"][data-state="succeeded"]`)
        .waitFor({ timeout: 60_000 });
      const seenStates = ((await workflow.getAttribute('data-seen')) ?? '').split(' ');
      assert.ok(seenStates.length >= 2, `states seen: ${seenStates.join(' ')}`);
      assert.doesNotMatch(
        seenStates[0]!,
        /^succeeded/,
        `it was shown before it finished: ${seenStates.join(' ')}`,
      );
      assert.equal(seenStates.at(-1), 'succeeded:succeeded/succeeded/succeeded');
      assert.deepEqual(
        await workflow
          .locator('li.step')
          .evaluateAll((steps) => steps.map((s) => s.getAttribute('data-step'))),
        ['backfill', 'persist', 'features'],
      );
      // Its jobs' lifecycle events reached the queue-events panel over the feed.
      await page.waitForFunction(
        (queue) => (document.querySelector('#events')?.textContent ?? '').includes(queue),
        `wf-${id}-features`,
        { timeout: 15_000 },
      );

      // Switching the instrument resubscribes: the chart and book now show ETHUSDT.
      await page.locator('#instrument').selectOption('binance:ETHUSDT');
      await page.waitForFunction(
        () => document.querySelector('#chart-title')?.textContent?.includes('ETHUSDT'),
        null,
        {
          timeout: 15_000,
        },
      );
      await page.locator('#instrument').selectOption('binance:BTCUSDT');
      await page.waitForFunction(
        () => document.querySelector('#chart-title')?.textContent?.includes('BTCUSDT'),
        null,
        {
          timeout: 15_000,
        },
      );
      await counterAbove(page, '#chart-panel', 'candles', 3);

      await page.screenshot({ path: path.join(SHOTS, 'dashboard.png'), fullPage: true });
      for (const [name, selector] of [
        ['chart', '#chart-panel'],
        ['book', '#book-panel'],
        ['trades', '#trades-panel'],
        ['alerts', '#alerts-panel'],
        ['lag', '#lag-panel'],
        ['catalog', '#catalog-panel'],
        ['events', '#events-panel'],
        ['workflows', '#workflows-panel'],
      ] as const)
        await page.locator(selector).screenshot({ path: path.join(SHOTS, `${name}.png`) });

      const stats = (await (await fetch(`${gateway.url}/api/stats`)).json()) as {
        clients: { frames: number; list: unknown[] };
      };
      assert.equal(stats.clients.list.length, 1, 'one page connected');
      assert.ok(stats.clients.frames > 10);
      assert.deepEqual(pageErrors, [], 'no script errors on the page');
      passed = true;

      // A gateway pointed at an address where no orchestrator listens: the page says so.
      const lonely = await startGateway({
        bus,
        port: 0,
        orchestratorUrl: 'http://127.0.0.1:9',
        log: () => undefined,
      });
      defer(t, () => lonely.stop());
      const other = await browser.newPage();
      await other.goto(lonely.url);
      await other.locator('#workflows-panel[data-orchestrator="unreachable"]').waitFor({ timeout: 15_000 });
      assert.match(
        (await other.locator('#orchestrator-status').textContent()) ?? '',
        /orchestrator is unreachable at http:\/\/127\.0\.0\.1:9/,
      );
    },
  );
});
