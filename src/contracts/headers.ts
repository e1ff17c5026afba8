// Standard header names every record written through the codec carries, and how they are read.

import { type Headers } from '../bus/types.ts';
import { ContractError, ContractErrorCodes, type RecordLocation } from './errors.ts';

export const HeaderNames = {
  /** The product's schema id (`md.trades`; shared by a template's topics: `md.candles`). */
  SCHEMA_ID: 'sf-schema-id',
  /** The schema version the value was validated against when produced: "1", "2", ... */
  SCHEMA_VERSION: 'sf-schema-version',
  /** Service that produced the record (`parser`). */
  PRODUCER_SERVICE: 'sf-producer-service',
  /** Replica of that service (`parser-7f9c4-0`). */
  PRODUCER_INSTANCE: 'sf-producer-instance',
  /** W3C Trace Context, under its standard name so OpenTelemetry's Kafka propagators read it as is. */
  TRACEPARENT: 'traceparent',
  /** Event time of the value in integer ms since the epoch (exchange time for market data). */
  EVENT_TIME: 'sf-event-time',
} as const;

/** Header value as UTF-8 text, or undefined when the header is absent. */
export function headerText(headers: Headers, name: string): string | undefined {
  const raw = headers[name];
  return raw === undefined ? undefined : raw.toString('utf8');
}

/** A non-negative integer written in decimal without leading zeros, within 2^53. */
export function isIntText(text: string): boolean {
  return /^(0|[1-9][0-9]{0,15})$/.test(text) && Number.isSafeInteger(Number(text));
}

/** Parses a header holding a non-negative integer; undefined when absent, INVALID_HEADER when malformed. */
export function headerInt(headers: Headers, name: string, location: RecordLocation): number | undefined {
  const text = headerText(headers, name);
  if (text === undefined) return undefined;
  return parseIntHeader(text, name, location);
}

export function parseIntHeader(text: string, name: string, location: RecordLocation): number {
  if (!isIntText(text)) {
    throw new ContractError(
      ContractErrorCodes.INVALID_HEADER,
      `header ${name} must be a non-negative integer, got ${JSON.stringify(text.slice(0, 64))}`,
      { location, path: name },
    );
  }
  return Number(text);
}

/** Reads a header the contract requires; MISSING_HEADER when absent. */
export function requiredHeaderText(headers: Headers, name: string, location: RecordLocation): string {
  const text = headerText(headers, name);
  if (text === undefined || text.length === 0) {
    throw new ContractError(ContractErrorCodes.MISSING_HEADER, `header ${name} is missing`, {
      location,
      path: name,
    });
  }
  return text;
}
