// Does a schema (of the supported subset) accept one given value? Used for const and enum values.

import { isSchema, type JsonSchema, num, typesOf } from './keywords.ts';

function typeOfValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function accepts(schema: JsonSchema, value: unknown): boolean {
  if ('const' in schema && !deepEqual(schema['const'], value)) return false;
  const enumValues = schema['enum'];
  if (Array.isArray(enumValues) && !enumValues.some((e) => deepEqual(e, value))) return false;
  const anyOf = schema['anyOf'];
  if (Array.isArray(anyOf) && !anyOf.some((branch) => isSchema(branch) && accepts(branch, value)))
    return false;

  const actual = typeOfValue(value);
  const types = typesOf(schema);
  if (!types.includes(actual as never) && !(actual === 'integer' && types.includes('number'))) return false;

  if (typeof value === 'string') {
    const min = num(schema, 'minLength');
    const max = num(schema, 'maxLength');
    const length = [...value].length;
    if ((min !== undefined && length < min) || (max !== undefined && length > max)) return false;
    const pattern = schema['pattern'];
    if (typeof pattern === 'string' && !new RegExp(pattern, 'u').test(value)) return false;
  }
  if (typeof value === 'number') {
    const bound = (k: string, ok: (limit: number) => boolean): boolean => {
      const limit = num(schema, k);
      return limit === undefined || ok(limit);
    };
    if (!bound('minimum', (l) => value >= l) || !bound('maximum', (l) => value <= l)) return false;
    if (!bound('exclusiveMinimum', (l) => value > l) || !bound('exclusiveMaximum', (l) => value < l))
      return false;
    if (!bound('multipleOf', (m) => Number.isInteger(value / m))) return false;
  }
  if (Array.isArray(value)) {
    const min = num(schema, 'minItems');
    const max = num(schema, 'maxItems');
    if ((min !== undefined && value.length < min) || (max !== undefined && value.length > max)) return false;
    const items = schema['items'];
    if (Array.isArray(items)) {
      const extra = schema['additionalItems'];
      for (let i = 0; i < value.length; i++) {
        const itemSchema = i < items.length ? items[i] : extra;
        if (itemSchema === false) return false;
        if (isSchema(itemSchema) && !accepts(itemSchema, value[i])) return false;
      }
    } else if (isSchema(items) && !value.every((v) => accepts(items, v))) return false;
  }
  if (isSchema(value) && actual === 'object') {
    const properties = isSchema(schema['properties']) ? schema['properties'] : {};
    const required = Array.isArray(schema['required']) ? (schema['required'] as string[]) : [];
    if (required.some((name) => !(name in value))) return false;
    for (const [name, v] of Object.entries(value)) {
      const propertySchema = properties[name];
      if (isSchema(propertySchema)) {
        if (!accepts(propertySchema, v)) return false;
      } else if (schema['additionalProperties'] === false) return false;
    }
  }
  return true;
}
