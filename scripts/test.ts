// `npm test`: starts a real single-node Kafka for the suite, runs every test file, stops Kafka.
//
// Kafka tests read the broker address from STREAMFORGE_TEST_KAFKA. With
// STREAMFORGE_REQUIRE_KAFKA=1 (set by CI) a broker that cannot be started fails the run
// instead of letting those tests skip. Arguments, if any, are test files to run instead of all.

import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKafka, stopKafka } from '../src/ops/kafka/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const home = path.join(root, '.streamforge', 'test-kafka');
const required = process.env['STREAMFORGE_REQUIRE_KAFKA'] === '1';
const log = (line: string): void => void process.stderr.write(`[test] ${line}\n`);
/**
 * Test files run this many at a time (STREAMFORGE_TEST_CONCURRENCY, default 2). Every test names
 * its topics, groups, schemas and directories uniquely, so files can share the broker; most of a
 * Kafka test's time is waiting (group joins, commits, restarts), which a second file fills.
 */
const concurrency = ((): number => {
  const raw = process.env['STREAMFORGE_TEST_CONCURRENCY'] ?? '2';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 16) {
    process.stderr.write(`[test] STREAMFORGE_TEST_CONCURRENCY=${raw}: give a whole number from 1 to 16\n`);
    process.exit(2);
  }
  return n;
})();

async function testFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory()
        ? testFiles(path.join(dir, e.name))
        : Promise.resolve(e.name.endsWith('.test.ts') ? [path.join(dir, e.name)] : []),
    ),
  );
  return nested.flat().sort();
}

/**
 * The longest files (their own Kafka clusters, child processes, a browser) start first, so that
 * they overlap the many short ones instead of running alone at the end.
 */
const LONG_FIRST = [/[\\/]scenarios[\\/]/, /kafka-cluster\.test\.ts$/, /\.browser\.test\.ts$/, /supervisor/];
const longFirst = (files: string[]): string[] => {
  const rank = (f: string): number => {
    const i = LONG_FIRST.findIndex((re) => re.test(f));
    return i === -1 ? LONG_FIRST.length : i;
  };
  return [...files].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
};

/**
 * STREAMFORGE_TEST_EXCLUDE: comma-separated paths under test/ (a folder or a file prefix) left out
 * of this run. CI's second run, on Node 24, leaves out the tests of Kafka clusters and of the
 * resilience scenarios, which run on Node 20 and test the brokers' and the platform's behaviour
 * rather than the Node version (see .ci/run). A prefix that matches nothing is an error, so that
 * a renamed folder cannot silently widen the run.
 */
function excludedBy(raw: string | undefined, files: readonly string[]): string[] {
  if (!raw) return [];
  const prefixes = raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => path.resolve(root, 'test', p));
  const out: string[] = [];
  for (const prefix of prefixes) {
    const hits = files.filter((f) => f.startsWith(prefix));
    if (hits.length === 0) {
      log(`STREAMFORGE_TEST_EXCLUDE: ${path.relative(root, prefix)} matches no test file; fix the list`);
      process.exit(2);
    }
    out.push(...hits);
  }
  return [...new Set(out)];
}

async function main(): Promise<number> {
  const all =
    process.argv.length > 2
      ? process.argv.slice(2).map((f) => path.resolve(f))
      : longFirst(await testFiles(path.join(root, 'test')));
  const excluded = excludedBy(process.env['STREAMFORGE_TEST_EXCLUDE'], all);
  const files = all.filter((f) => !excluded.includes(f));
  if (excluded.length > 0)
    log(
      `STREAMFORGE_TEST_EXCLUDE: not running ${excluded.length} file(s): ` +
        excluded.map((f) => path.relative(root, f)).join(', '),
    );
  log(`Node ${process.version}, ${files.length} test file(s), ${concurrency} at a time`);
  const env = { ...process.env };
  let started = false;
  if (!env['STREAMFORGE_TEST_KAFKA'] && env['STREAMFORGE_TEST_NO_KAFKA'] !== '1') {
    const t0 = Date.now();
    try {
      const kafka = await startKafka({
        mode: 'single',
        home,
        port: 0,
        fresh: true,
        onProgress: (m) => log(m),
      });
      env['STREAMFORGE_TEST_KAFKA'] = kafka.bootstrap;
      started = true;
      log(
        `Kafka ${kafka.version} at ${kafka.bootstrap}, ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    } catch (error) {
      log(`could not start Kafka: ${(error as Error).message}`);
      if (required) {
        log('STREAMFORGE_REQUIRE_KAFKA=1: failing instead of skipping the Kafka tests');
        return 1;
      }
      log('Kafka tests will be skipped (set STREAMFORGE_REQUIRE_KAFKA=1 to make this an error)');
    }
  }
  try {
    return await new Promise<number>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, ...files],
        { cwd: root, env, stdio: 'inherit' },
      );
      const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
      process.on('SIGINT', forward);
      process.on('SIGTERM', forward);
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  } finally {
    if (started) {
      await stopKafka({ home }).catch((error: unknown) =>
        log(`stopping Kafka failed: ${(error as Error).message}`),
      );
      log('Kafka stopped');
    }
  }
}

process.exitCode = await main();
