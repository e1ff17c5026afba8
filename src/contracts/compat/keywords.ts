// The JSON Schema subset the compatibility check understands, and how to read its keywords.

/** A JSON Schema object (TypeBox schemas are these, plus symbol keys that are ignored). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** Keywords that never change which values are valid. */
export const annotations: ReadonlySet<string> = new Set([
  '$schema',
  '$id',
  '$comment',
  'title',
  'description',
  'examples',
  'default',
  'readOnly',
  'writeOnly',
]);

/** Validation keywords the check reasons about; any other one is reported, never ignored. */
export const understood: ReadonlySet<string> = new Set([
  'type',
  'const',
  'enum',
  'anyOf',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'additionalItems',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
]);

export const allTypes = ['null', 'boolean', 'object', 'array', 'number', 'integer', 'string'] as const;
export type JsonType = (typeof allTypes)[number];

/** The types a schema allows by its `type` keyword (all of them when it has none). */
export function typesOf(schema: JsonSchema): JsonType[] {
  const type = schema['type'];
  if (type === undefined) return [...allTypes];
  return (Array.isArray(type) ? type : [type]) as JsonType[];
}

/** The keywords that constrain values (annotations left out). */
export function validationKeywords(schema: JsonSchema): string[] {
  return Object.keys(schema).filter((k) => !annotations.has(k));
}

export function num(schema: JsonSchema, keyword: string): number | undefined {
  const v = schema[keyword];
  return typeof v === 'number' ? v : undefined;
}

export function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON pointer segment escaping (RFC 6901). */
export function pointer(base: string, segment: string | number): string {
  return `${base}/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`;
}
