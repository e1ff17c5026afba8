// `streamforge catalog` and `streamforge topics apply`, run as a user runs them: a child process.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { catalog } from '../../src/contracts/catalog.ts';
import { cli, embeddedBus } from '../helpers/cli.ts';
import { kafkaBootstrap, kafkaSkipReason } from '../helpers/backends.ts';

const TIMEOUT = { timeout: 60_000 } as const;

describe('streamforge catalog', () => {
  it('lists every product with owner, partitions, policy, key and schema version', TIMEOUT, async () => {
    const r = await cli(['catalog']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^NAME\s+OWNER\s+PARTITIONS\s+POLICY\s+KEY\s+SCHEMA$/);
    assert.equal(lines.length, catalog.products.length + 1);
    assert.match(r.stdout, /\nmd\.trades\s+market-data\s+12\s+delete 7d\s+exchange:symbol\s+v1\n/);
    assert.match(r.stdout, /\nqueue-events\s+platform\s+3\s+delete 7d\s+queue_id\s+v3\n/);
    assert.match(r.stdout, /\nmd\.instruments\s+market-data\s+6\s+compact\s+exchange:symbol\s+v1\n/);
    assert.match(r.stdout, /\nmd\.raw\.kraken\s+market-data\s+6\s+delete 3d\s+exchange:symbol\s+bytes\n/);
  });

  it('--json prints the full catalog with JSON Schemas that compile', TIMEOUT, async () => {
    const r = await cli(['catalog', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const products = JSON.parse(r.stdout) as Array<{
      topic: string;
      value: { format: string; versions?: Array<{ schema: Record<string, unknown> }>; example: unknown };
    }>;
    assert.equal(products.length, catalog.products.length);
    const ajv = new Ajv({ strict: true, allowUnionTypes: true });
    for (const p of products.filter((x) => x.value.format === 'json')) {
      const schema = p.value.versions!.at(-1)!.schema;
      const check = ajv.compile(schema);
      assert.equal(check((p.value.example as { value: unknown }).value), true, p.topic);
      ajv.removeSchema(schema['$id'] as string);
    }
  });

  it('describes one product: description, key meaning, configs, schema and example', TIMEOUT, async () => {
    const r = await cli(['catalog', 'md.book.delta']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^md\.book\.delta {2}\(owner: market-data\)/);
    assert.match(r.stdout, /Key: +exchange:symbol - /);
    assert.match(r.stdout, /cleanup\.policy=delete, retention\.ms=259200000/);
    assert.match(r.stdout, /"\$id": "urn:streamforge:schema:md\.book\.delta:1"/);
    assert.match(r.stdout, /"firstUpdateId": 50093239189/);
    const json = JSON.parse((await cli(['catalog', 'md.book.delta', '--json'])).stdout) as { topic: string };
    assert.equal(json.topic, 'md.book.delta');
  });

  it('a template name describes each of its topics', TIMEOUT, async () => {
    const r = await cli(['catalog', 'md.raw.<exchange>']);
    assert.equal(r.code, 0, r.stderr);
    for (const exchange of ['binance', 'binance-futures', 'okx', 'kraken', 'coinbase'])
      assert.match(r.stdout, new RegExp(`^md\\.raw\\.${exchange} {2}\\(owner`, 'm'));
    assert.match(r.stdout, /sf-connection-seq \(int, required\)/);
  });

  it('an unknown name exits 2 and lists close matches', TIMEOUT, async () => {
    const r = await cli(['catalog', 'md.trade']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no data product named "md\.trade"; did you mean md\.trades/);
    const far = await cli(['catalog', 'zzzzzzzzzzzz']);
    assert.equal(far.code, 2);
    assert.match(far.stderr, /streamforge catalog/);
  });
});

describe('streamforge topics apply', () => {
  it('creates the whole catalog on the embedded log, then reports no change', TIMEOUT, async (t) => {
    const bus = await embeddedBus(t, 'sf-catalog-cli-');
    const dry = await cli(['--bus', bus, 'topics', 'apply', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stderr, new RegExp(`${catalog.products.length} created.*Dry run: nothing was changed`));
    const empty = await cli(['--bus', bus, 'topics', 'list', '--json']);
    assert.deepEqual(JSON.parse(empty.stdout), []);

    const first = await cli(['--bus', bus, 'topics', 'apply']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /^create\s+md\.trades\s+12 partition\(s\), replication 1, cleanup\.policy=delete/m,
    );
    assert.match(first.stderr, /Applied\./);
    const listed = JSON.parse((await cli(['--bus', bus, 'topics', 'list', '--json'])).stdout) as string[];
    assert.deepEqual(listed.sort(), catalog.products.map((p) => p.topic).sort());

    const second = await cli(['--bus', bus, 'topics', 'apply', '--json']);
    assert.equal(second.code, 0, second.stderr);
    const report = JSON.parse(second.stdout) as { changed: boolean; unchanged: string[]; created: unknown[] };
    assert.equal(report.changed, false);
    assert.deepEqual(report.created, []);
    assert.equal(report.unchanged.length, catalog.products.length);
    const text = await cli(['--bus', bus, 'topics', 'apply']);
    assert.match(text.stderr, /No change: the topics already match the catalog/);
  });

  it('a bad --replication-factor is a usage error', TIMEOUT, async () => {
    const r = await cli(['topics', 'apply', '--replication-factor', 'three']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--replication-factor must be a positive integer/);
  });

  it('a dry run against Kafka changes nothing', { ...TIMEOUT, skip: kafkaSkipReason() }, async () => {
    const r = await cli(['--bus', `kafka://${kafkaBootstrap()}`, 'topics', 'apply', '--dry-run', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { dryRun: boolean };
    assert.equal(report.dryRun, true);
  });
});
