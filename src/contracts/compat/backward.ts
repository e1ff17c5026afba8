// Backward compatibility of two schema versions: does the new one accept every value the old one accepts?
//
// That is what lets a consumer on version N+1 read every record written with version N. The
// check is sound but conservative: it answers "compatible" only when it can prove it for the
// keywords in keywords.ts, and reports anything it cannot prove (a changed regex, an unknown
// keyword) as an issue, so a false "compatible" never reaches production.

import { accepts } from './accepts.ts';
import {
  isSchema,
  type JsonSchema,
  type JsonType,
  num,
  pointer,
  typesOf,
  understood,
  validationKeywords,
} from './keywords.ts';

export interface CompatibilityIssue {
  /** JSON pointer into the value (`/bids/0`), "" for the value itself. */
  readonly path: string;
  readonly message: string;
}

type Issues = CompatibilityIssue[];

const show = (value: unknown): string => JSON.stringify(value);

function unsupported(schema: JsonSchema, path: string, which: string, issues: Issues): boolean {
  const unknown = validationKeywords(schema).filter((k) => !understood.has(k));
  for (const keyword of unknown)
    issues.push({ path, message: `cannot compare keyword "${keyword}" in the ${which} schema` });
  return unknown.length > 0;
}

type Bound = { value: number; exclusive: boolean } | undefined;

function lowerBound(schema: JsonSchema): Bound {
  const min = num(schema, 'minimum');
  const exclusive = num(schema, 'exclusiveMinimum');
  if (exclusive !== undefined && (min === undefined || exclusive >= min))
    return { value: exclusive, exclusive: true };
  return min === undefined ? undefined : { value: min, exclusive: false };
}

function upperBound(schema: JsonSchema): Bound {
  const max = num(schema, 'maximum');
  const exclusive = num(schema, 'exclusiveMaximum');
  if (exclusive !== undefined && (max === undefined || exclusive <= max))
    return { value: exclusive, exclusive: true };
  return max === undefined ? undefined : { value: max, exclusive: false };
}

/** Is the new lower bound at or below the old one (so nothing the old allowed is cut off)? */
function lowerOk(older: Bound, newer: Bound): boolean {
  if (!newer) return true;
  if (!older) return false;
  return newer.value < older.value || (newer.value === older.value && (!newer.exclusive || older.exclusive));
}

function upperOk(older: Bound, newer: Bound): boolean {
  if (!newer) return true;
  if (!older) return false;
  return newer.value > older.value || (newer.value === older.value && (!newer.exclusive || older.exclusive));
}

function checkNumber(older: JsonSchema, newer: JsonSchema, path: string, issues: Issues): void {
  if (!lowerOk(lowerBound(older), lowerBound(newer)))
    issues.push({ path, message: `lower bound raised to ${show(lowerBound(newer)?.value)}` });
  if (!upperOk(upperBound(older), upperBound(newer)))
    issues.push({ path, message: `upper bound lowered to ${show(upperBound(newer)?.value)}` });
  const m = num(newer, 'multipleOf');
  const o = num(older, 'multipleOf');
  if (m !== undefined && (o === undefined || !Number.isInteger(o / m)))
    issues.push({ path, message: `multipleOf ${m} rejects numbers the old schema allowed` });
}

function checkString(older: JsonSchema, newer: JsonSchema, path: string, issues: Issues): void {
  if ((num(newer, 'minLength') ?? 0) > (num(older, 'minLength') ?? 0))
    issues.push({ path, message: `minLength raised to ${num(newer, 'minLength')}` });
  const newMax = num(newer, 'maxLength');
  const oldMax = num(older, 'maxLength');
  if (newMax !== undefined && (oldMax === undefined || newMax < oldMax))
    issues.push({ path, message: `maxLength lowered to ${newMax}` });
  const pattern = newer['pattern'];
  if (pattern !== undefined && pattern !== older['pattern']) {
    issues.push({
      path,
      message:
        older['pattern'] === undefined
          ? `pattern ${show(pattern)} added`
          : `pattern changed from ${show(older['pattern'])} to ${show(pattern)} (only an unchanged or removed pattern is provably compatible)`,
    });
  }
}

function checkArray(older: JsonSchema, newer: JsonSchema, path: string, issues: Issues): void {
  if ((num(newer, 'minItems') ?? 0) > (num(older, 'minItems') ?? 0))
    issues.push({ path, message: `minItems raised to ${num(newer, 'minItems')}` });
  const newMax = num(newer, 'maxItems');
  const oldMax = num(older, 'maxItems');
  if (newMax !== undefined && (oldMax === undefined || newMax < oldMax))
    issues.push({ path, message: `maxItems lowered to ${newMax}` });
  if (newer['uniqueItems'] === true && older['uniqueItems'] !== true)
    issues.push({ path, message: 'uniqueItems added' });

  const oldItems = older['items'];
  const newItems = newer['items'];
  if (newItems === undefined) return;
  if (Array.isArray(newItems)) {
    // A tuple: compare position by position; the old must be a tuple of no more positions.
    if (!Array.isArray(oldItems) || oldItems.length > newItems.length || older['additionalItems'] !== false) {
      issues.push({ path, message: 'items became a tuple, or the tuple lost positions' });
      return;
    }
    oldItems.forEach(
      (item, i) => isSchema(item) && backward(item, newItems[i] as JsonSchema, pointer(path, i), issues),
    );
    return;
  }
  if (!isSchema(newItems)) return;
  if (Array.isArray(oldItems)) {
    oldItems.forEach((item, i) => isSchema(item) && backward(item, newItems, pointer(path, i), issues));
    if (older['additionalItems'] !== false) backward({}, newItems, pointer(path, oldItems.length), issues);
  } else {
    backward(isSchema(oldItems) ? oldItems : {}, newItems, pointer(path, '*'), issues);
  }
}

function checkObject(older: JsonSchema, newer: JsonSchema, path: string, issues: Issues): void {
  const oldProps = isSchema(older['properties']) ? older['properties'] : {};
  const newProps = isSchema(newer['properties']) ? newer['properties'] : {};
  const oldRequired = new Set(Array.isArray(older['required']) ? (older['required'] as string[]) : []);
  const newRequired = Array.isArray(newer['required']) ? (newer['required'] as string[]) : [];
  const oldAdditional = older['additionalProperties'] ?? true;
  const newAdditional = newer['additionalProperties'] ?? true;
  for (const [which, extra] of [
    ['old', oldAdditional],
    ['new', newAdditional],
  ] as const) {
    if (typeof extra !== 'boolean')
      issues.push({
        path,
        message: `cannot compare a schema-valued additionalProperties in the ${which} schema`,
      });
  }

  for (const name of newRequired) {
    if (oldRequired.has(name)) continue;
    issues.push({
      path: pointer(path, name),
      message: name in oldProps ? `field "${name}" became required` : `required field "${name}" added`,
    });
  }
  for (const name of new Set([...Object.keys(oldProps), ...Object.keys(newProps)])) {
    const oldProp = oldProps[name];
    const newProp = newProps[name];
    const at = pointer(path, name);
    if (isSchema(oldProp) && isSchema(newProp)) backward(oldProp, newProp, at, issues);
    else if (isSchema(oldProp) && newAdditional === false)
      issues.push({ path: at, message: `field "${name}" removed while extra fields are forbidden` });
    else if (isSchema(newProp) && oldAdditional === true)
      // Old writers could put anything under this name as an extra field.
      backward({}, newProp, at, issues);
  }
  if (newAdditional === false && oldAdditional !== false)
    issues.push({ path, message: 'extra fields became forbidden (additionalProperties: false)' });
}

function checkType(older: JsonSchema, newer: JsonSchema, type: JsonType, path: string, issues: Issues): void {
  if (type === 'string') checkString(older, newer, path, issues);
  else if (type === 'number' || type === 'integer') checkNumber(older, newer, path, issues);
  else if (type === 'array') checkArray(older, newer, path, issues);
  else if (type === 'object') checkObject(older, newer, path, issues);
}

/** Appends to `issues` every way in which `newer` rejects a value `older` accepts. */
export function backward(older: JsonSchema, newer: JsonSchema, path: string, issues: Issues): void {
  const a = unsupported(older, path, 'old', issues);
  const b = unsupported(newer, path, 'new', issues);
  if (a || b) return;
  if (validationKeywords(newer).length === 0) return; // accepts everything

  const oldAnyOf = older['anyOf'];
  if (Array.isArray(oldAnyOf)) {
    if (validationKeywords(older).length > 1) {
      issues.push({ path, message: 'cannot compare anyOf combined with other keywords in the old schema' });
      return;
    }
    for (const branch of oldAnyOf) if (isSchema(branch)) backward(branch, newer, path, issues);
    return;
  }
  for (const keyword of ['const', 'enum'] as const) {
    if (!(keyword in older)) continue;
    const values = keyword === 'const' ? [older['const']] : (older['enum'] as unknown[]);
    for (const value of values)
      if (!accepts(newer, value))
        issues.push({ path, message: `value ${show(value)} is no longer accepted` });
    return;
  }

  const newAnyOf = newer['anyOf'];
  if (Array.isArray(newAnyOf)) {
    // Old values must all fit one branch; splitting them over branches is not attempted.
    let closest: Issues | undefined;
    for (const branch of newAnyOf) {
      if (!isSchema(branch)) continue;
      const attempt: Issues = [];
      backward(older, branch, path, attempt);
      if (attempt.length === 0) return;
      if (!closest || attempt.length < closest.length) closest = attempt;
    }
    issues.push(...(closest ?? [{ path, message: 'the new union has no branch' }]));
    return;
  }
  if ('const' in newer || 'enum' in newer) {
    issues.push({ path, message: 'values became restricted to a fixed set' });
    return;
  }

  const newTypes = typesOf(newer);
  for (const type of typesOf(older)) {
    if (!newTypes.includes(type) && !(type === 'integer' && newTypes.includes('number'))) {
      issues.push({ path, message: `type ${type} is no longer accepted (now ${newTypes.join(' or ')})` });
      continue;
    }
    checkType(older, newer, type, path, issues);
  }
}

/** Every way in which `newer` fails to read values written with `older`; empty when compatible. */
export function backwardIssues(older: JsonSchema, newer: JsonSchema): CompatibilityIssue[] {
  const issues: Issues = [];
  backward(older, newer, '', issues);
  return issues;
}

export function isBackwardCompatible(older: JsonSchema, newer: JsonSchema): boolean {
  return backwardIssues(older, newer).length === 0;
}
