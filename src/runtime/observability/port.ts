// Where a user chooses the metrics/health port, and the one parser for what they typed.

import { ObservabilityError, ObservabilityErrorCodes } from './errors.ts';

/** The CLI option and the environment variable the port can be set with; error messages name both. */
export const METRICS_PORT_OPTION = '--metrics-port';
export const METRICS_PORT_ENV = 'STREAMFORGE_METRICS_PORT';

/**
 * A TCP port from user text: an integer from 0 to 65535, where 0 asks the system for any free
 * port. `source` names where the text came from, for the error message.
 */
export function parsePort(text: string, source: string = METRICS_PORT_OPTION): number {
  const trimmed = text.trim();
  const port = /^\d{1,5}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new ObservabilityError(
      ObservabilityErrorCodes.INVALID_ARGUMENT,
      `${source}: '${text}' is not a port`,
      { hint: 'give an integer from 0 to 65535; 0 picks any free port' },
    );
  }
  return port;
}
