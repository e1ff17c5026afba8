// A product as plain JSON (for `streamforge catalog --json`, the dashboard, other languages).

import { productJsonSchemas } from './json-schema.ts';
import { DLQ_SUFFIX } from './dlq.ts';
import { isJsonProduct, type Product } from './product.ts';
import { topicConfigs } from './topic-config.ts';

export function describeProduct(product: Product): Record<string, unknown> {
  const common = {
    topic: product.topic,
    declaration: product.declaration,
    owner: product.owner,
    description: product.description,
    key: { name: product.key.name, meaning: product.key.meaning },
    partitions: product.partitions,
    cleanup: product.cleanup,
    configs: topicConfigs(product.cleanup),
    maxValueBytes: product.maxValueBytes,
    ...(product.deadLetterOf === undefined
      ? { deadLetterTopic: `${product.topic}${DLQ_SUFFIX}` }
      : { deadLetterOf: product.deadLetterOf }),
  };
  if (!isJsonProduct(product)) return { ...common, value: product.value };
  const versions = productJsonSchemas(product);
  return {
    ...common,
    value: {
      format: product.value.format,
      schemaId: product.value.schemaId,
      currentVersion: versions[versions.length - 1]!.version,
      versions,
      example: { key: product.key.of(product.value.example), value: product.value.example },
    },
  };
}

/** "delete 7d", "compact": the cleanup policy in a table cell. */
export function cleanupSummary(product: Product): string {
  if (product.cleanup.policy === 'compact') return 'compact';
  const ms = product.cleanup.retentionMs;
  const day = 86_400_000;
  return `delete ${ms % day === 0 ? `${ms / day}d` : `${Math.round(ms / 3_600_000)}h`}`;
}

/** "v2", or "bytes" for a product whose values are opaque. */
export function schemaSummary(product: Product): string {
  return isJsonProduct(product) ? `v${product.value.versions.length}` : 'bytes';
}
