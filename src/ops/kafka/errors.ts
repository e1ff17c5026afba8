// The closed set of error codes for provisioning and running the local Apache Kafka broker.

export const KafkaOpsErrorCodes = {
  /** `java` is not on PATH or is older than Kafka 4 needs (17). */
  JAVA_MISSING: 'JAVA_MISSING',
  /** `mvn` is not on PATH (needed once, to fetch Kafka from Maven Central). */
  MAVEN_MISSING: 'MAVEN_MISSING',
  /** Maven ran but could not resolve the Kafka artifacts. */
  MAVEN_FAILED: 'MAVEN_FAILED',
  /** A port the broker needs is held by another process. */
  PORT_IN_USE: 'PORT_IN_USE',
  /** A broker process exited before it became ready. */
  BROKER_EXITED: 'BROKER_EXITED',
  /** The brokers did not answer a Metadata request listing all of them in time. */
  START_TIMEOUT: 'START_TIMEOUT',
  /** `kafka-storage format` failed. */
  FORMAT_FAILED: 'FORMAT_FAILED',
  /** The home holds data of another mode, or a broker of this home runs in another mode. */
  HOME_CONFLICT: 'HOME_CONFLICT',
  /** Another `start`/`stop` works on the same home right now. */
  HOME_LOCKED: 'HOME_LOCKED',
  UNKNOWN_TOOL: 'UNKNOWN_TOOL',
  /** A tool needs a bootstrap address and none was given nor is a broker running. */
  NO_BOOTSTRAP: 'NO_BOOTSTRAP',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
} as const;

export type KafkaOpsErrorCode = (typeof KafkaOpsErrorCodes)[keyof typeof KafkaOpsErrorCodes];

export interface KafkaOpsErrorOptions {
  readonly cause?: unknown;
  /** What the user can do about it, appended to the message. */
  readonly hint?: string;
  /** Output of the failing process (log tail, Maven output), appended after the message. */
  readonly details?: string;
}

export class KafkaOpsError extends Error {
  readonly code: KafkaOpsErrorCode;

  constructor(code: KafkaOpsErrorCode, message: string, options: KafkaOpsErrorOptions = {}) {
    let text = options.hint ? `${message} (${options.hint})` : message;
    if (options.details) text += `\n${options.details}`;
    super(text, { cause: options.cause });
    this.name = 'KafkaOpsError';
    this.code = code;
  }
}

export function isKafkaOpsError(error: unknown, code?: KafkaOpsErrorCode): error is KafkaOpsError {
  return error instanceof KafkaOpsError && (code === undefined || error.code === code);
}

export const INSTALL_HINT = 'install them with `apt-get install openjdk-17-jre-headless maven`';
