// Translates @platformatic/kafka errors into BusErrors, by Kafka error id, never by message text.

import { BusError, BusErrorCodes, type BusErrorCode } from '../errors.ts';
import { isRetriable } from './retry.ts';

interface FindableError extends Error {
  findBy?(property: string, value: unknown): (Error & Record<string, unknown>) | null;
  code?: string;
}

const byKafkaId: Readonly<Record<string, BusErrorCode>> = {
  UNKNOWN_TOPIC_OR_PARTITION: BusErrorCodes.UNKNOWN_TOPIC,
  UNKNOWN_TOPIC_ID: BusErrorCodes.UNKNOWN_TOPIC,
  TOPIC_ALREADY_EXISTS: BusErrorCodes.TOPIC_EXISTS,
  GROUP_ID_NOT_FOUND: BusErrorCodes.UNKNOWN_GROUP,
  NON_EMPTY_GROUP: BusErrorCodes.GROUP_NOT_EMPTY,
  UNKNOWN_MEMBER_ID: BusErrorCodes.GROUP_NOT_EMPTY,
  REBALANCE_IN_PROGRESS: BusErrorCodes.REBALANCE_IN_PROGRESS,
  ILLEGAL_GENERATION: BusErrorCodes.REBALANCE_IN_PROGRESS,
  INVALID_TOPIC_EXCEPTION: BusErrorCodes.INVALID_ARGUMENT,
  INVALID_PARTITIONS: BusErrorCodes.INVALID_ARGUMENT,
  INVALID_REPLICATION_FACTOR: BusErrorCodes.INVALID_ARGUMENT,
  INVALID_CONFIG: BusErrorCodes.INVALID_CONFIG,
  INVALID_REQUEST: BusErrorCodes.INVALID_ARGUMENT,
  POLICY_VIOLATION: BusErrorCodes.INVALID_CONFIG,
  MESSAGE_TOO_LARGE: BusErrorCodes.INVALID_ARGUMENT,
  RECORD_LIST_TOO_LARGE: BusErrorCodes.INVALID_ARGUMENT,
  REQUEST_TIMED_OUT: BusErrorCodes.TIMEOUT,
  NOT_ENOUGH_REPLICAS: BusErrorCodes.TIMEOUT,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: BusErrorCodes.TIMEOUT,
};

/** The first Kafka protocol error id (e.g. `OFFSET_OUT_OF_RANGE`) inside an error, if any. */
export function kafkaErrorId(error: unknown): string | undefined {
  const e = error as FindableError;
  const found = e?.findBy?.('code', 'PLT_KFK_PROTOCOL');
  const id = found?.['apiId'];
  return typeof id === 'string' ? id : undefined;
}

export function hasKafkaError(error: unknown, id: string): boolean {
  return Boolean((error as FindableError)?.findBy?.('apiId', id));
}

/**
 * The client's metadata path replaces UNKNOWN_TOPIC_OR_PARTITION by a UserError whose only
 * trace of it is the message, so that one case has to be recognised by its text.
 */
export function isUnknownTopic(error: unknown): boolean {
  if (hasKafkaError(error, 'UNKNOWN_TOPIC_OR_PARTITION') || hasKafkaError(error, 'UNKNOWN_TOPIC_ID'))
    return true;
  const e = error as FindableError;
  return (
    e?.code === 'PLT_KFK_USER' && typeof e.message === 'string' && e.message.startsWith('Unknown topic ')
  );
}

/** Wraps anything thrown by the Kafka client; `what` says what was being done, for the message. */
export function toBusError(error: unknown, what: string, brokers?: readonly string[]): BusError {
  if (error instanceof BusError) return error;
  const e = error as FindableError;
  const id = kafkaErrorId(error);
  if (isUnknownTopic(error)) {
    return new BusError(BusErrorCodes.UNKNOWN_TOPIC, `${what}: the topic does not exist`, {
      cause: error,
      hint: 'create it with `streamforge topics create <name>`',
    });
  }
  if (id && byKafkaId[id]) {
    const detail = (e?.findBy?.('apiId', id)?.message as string | undefined) ?? id;
    return new BusError(byKafkaId[id], `${what}: ${detail}`, { cause: error });
  }
  if (e?.findBy?.('code', 'PLT_KFK_NETWORK') || e?.findBy?.('code', 'PLT_KFK_TIMEOUT')) {
    const where = brokers ? ` at ${brokers.join(',')}` : '';
    return new BusError(BusErrorCodes.UNREACHABLE, `${what}: cannot reach the Kafka broker${where}`, {
      cause: error,
      hint: 'is it running? `npx streamforge kafka start` starts one',
    });
  }
  const message = e instanceof Error ? e.message : String(error);
  return new BusError(BusErrorCodes.BACKEND, `${what}: ${id ?? message}`, {
    cause: error,
    canRetry: isRetriable(error),
  });
}
