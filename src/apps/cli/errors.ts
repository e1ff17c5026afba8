// How the CLI reports failures: one clear line on stderr and a non-zero exit code.

import { isBusError } from '../../bus/errors.ts';

/** A mistake in how the command was called (exit code 2), as opposed to a failure (1). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function reportAndExit(error: unknown): never {
  if (error instanceof UsageError) {
    process.stderr.write(`streamforge: ${error.message}\nRun with --help for usage.\n`);
    process.exit(2);
  }
  if (isBusError(error)) {
    process.stderr.write(`streamforge: ${error.message} [${error.code}]\n`);
  } else {
    process.stderr.write(`streamforge: ${error instanceof Error ? error.message : String(error)}\n`);
    if (process.env['STREAMFORGE_DEBUG'] && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  }
  process.exit(1);
}

/** Wraps a commander action so that every error goes through `reportAndExit`. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (error) {
      reportAndExit(error);
    }
  };
}
