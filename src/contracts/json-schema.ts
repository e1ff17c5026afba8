// Exports a product's schemas as plain JSON Schema (draft-07) documents for other tools and languages.

import { type TSchema } from '@sinclair/typebox';
import { type JsonProduct } from './product.ts';

export const JSON_SCHEMA_DIALECT = 'http://json-schema.org/draft-07/schema#';

/**
 * A stand-alone JSON Schema for one version. TypeBox schemas are JSON Schema already, plus
 * symbol-keyed metadata that JSON serialization drops.
 */
export function toJsonSchema(schema: TSchema, id: string, title: string): Record<string, unknown> {
  return {
    $schema: JSON_SCHEMA_DIALECT,
    $id: id,
    title,
    ...(JSON.parse(JSON.stringify(schema)) as Record<string, unknown>),
  };
}

/** `urn:streamforge:schema:md.trades:2`: stable, and the same for every topic of a template. */
export function schemaUrn(schemaId: string, version: number): string {
  return `urn:streamforge:schema:${schemaId}:${version}`;
}

/** Every version of a product's value schema, oldest first. */
export function productJsonSchemas(
  product: JsonProduct,
): Array<{ version: number; change: string; schema: Record<string, unknown> }> {
  return product.value.versions.map((v) => ({
    version: v.version,
    change: v.change,
    schema: toJsonSchema(
      v.schema,
      schemaUrn(product.value.schemaId, v.version),
      `${product.value.schemaId} v${v.version}`,
    ),
  }));
}
