// `streamforge catalog [name]`: lists the data products, or describes one with its schema and example.

import { type Command } from 'commander';
import { catalog } from '../../../contracts/catalog.ts';
import { cleanupSummary, describeProduct, schemaSummary } from '../../../contracts/describe.ts';
import { isContractError } from '../../../contracts/errors.ts';
import { type Product } from '../../../contracts/product.ts';
import { action, UsageError } from '../errors.ts';
import { printJson, printTable } from '../output.ts';

/** The products a name stands for: one topic, or every topic of a declaration such as `md.candles.<interval>`. */
function resolve(name: string): Product[] {
  const byDeclaration = catalog.byDeclaration(name);
  if (byDeclaration.length > 0) return byDeclaration;
  try {
    return [catalog.get(name)];
  } catch (error) {
    // A wrong name is a usage mistake (exit 2), with the close matches the catalog found.
    if (isContractError(error)) throw new UsageError(error.message);
    throw error;
  }
}

function printProduct(product: Product): void {
  const d = describeProduct(product);
  const configs = Object.entries(d['configs'] as Record<string, string>)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const lines = [
    `${product.topic}  (owner: ${product.owner}${product.declaration === product.topic ? '' : `, declared as ${product.declaration}`})`,
    '',
    product.description,
    '',
    `Key:          ${product.key.name} - ${product.key.meaning}`,
    `Partitions:   ${product.partitions}`,
    `Configs:      ${configs}`,
    `Max value:    ${product.maxValueBytes} bytes`,
    product.deadLetterOf === undefined
      ? `Dead letters: ${d['deadLetterTopic'] as string}`
      : `Dead letters of: ${product.deadLetterOf}`,
  ];
  if (product.value.format === 'bytes') {
    lines.push(
      `Value:        bytes - ${product.value.meaning}`,
      'Headers:',
      ...product.value.headers.map(
        (h) => `  ${h.name} (${h.format}${h.required ? ', required' : ''}): ${h.meaning}`,
      ),
      '',
      'Example record:',
      JSON.stringify(product.value.example, null, 2),
    );
  } else {
    const value = d['value'] as {
      versions: Array<{ version: number; change: string; schema: unknown }>;
      example: unknown;
    };
    const current = value.versions[value.versions.length - 1]!;
    lines.push(
      `Value:        json, schema ${product.value.schemaId} v${current.version}`,
      'Versions:',
      ...value.versions.map((v) => `  v${v.version}  ${v.change}`),
      '',
      `JSON Schema (v${current.version}):`,
      JSON.stringify(current.schema, null, 2),
      '',
      'Example record:',
      JSON.stringify(value.example, null, 2),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function registerCatalogCommand(program: Command): void {
  program
    .command('catalog [name]')
    .description(
      'list the data products (topics, owners, keys, schemas), or describe one: a topic or a template such as md.candles.<interval>',
    )
    .option('--json', 'print JSON, including every JSON Schema and example')
    .action(
      action(async (name: string | undefined, options: { json?: boolean }) => {
        const products = name === undefined ? catalog.products : resolve(name);
        if (options.json) {
          const described = products.map(describeProduct);
          printJson(name !== undefined && described.length === 1 ? described[0] : described);
          return;
        }
        if (name !== undefined) {
          products.forEach((product, i) => {
            if (i > 0) process.stdout.write('\n');
            printProduct(product);
          });
          return;
        }
        printTable(
          ['NAME', 'OWNER', 'PARTITIONS', 'POLICY', 'KEY', 'SCHEMA'],
          products.map((p) => [
            p.topic,
            p.owner,
            p.partitions,
            cleanupSummary(p),
            p.key.name,
            schemaSummary(p),
          ]),
        );
      }),
    );
}
