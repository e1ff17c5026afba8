// Compiled validators per schema, and the first failure of a value as a JSON pointer plus a message.

import { type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { type ValueError } from '@sinclair/typebox/errors';

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

/** Compiles on first use (a few ms per schema) and caches by schema object. */
export function validatorFor(schema: TSchema): TypeCheck<TSchema> {
  let check = compiled.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  return check;
}

export interface ValidationFailure {
  /** JSON pointer into the value; "" for the value itself. */
  readonly path: string;
  readonly message: string;
}

/**
 * A union reports only "Expected union value"; the branch with the fewest errors is the one
 * the writer most likely meant (its discriminator matched), so its first error is shown.
 */
function mostSpecific(error: ValueError): ValueError {
  let best: ValueError[] | undefined;
  for (const branch of error.errors) {
    const errors = [...branch];
    if (errors.length > 0 && (!best || errors.length < best.length)) best = errors;
  }
  return best ? mostSpecific(best[0]!) : error;
}

export function validate(schema: TSchema, value: unknown): ValidationFailure | undefined {
  const check = validatorFor(schema);
  if (check.Check(value)) return undefined;
  const first = check.Errors(value).First();
  if (!first) return { path: '', message: 'value does not match the schema' };
  const error = mostSpecific(first);
  return { path: error.path, message: error.message };
}
