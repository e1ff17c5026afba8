// The shapes shared by the Kafka provisioning API: modes, the running-broker description, progress.

export const KafkaModes = { single: 'single', cluster: 'cluster' } as const;
export type KafkaMode = (typeof KafkaModes)[keyof typeof KafkaModes];

export interface KafkaBrokerInfo {
  readonly nodeId: number;
  /** PLAINTEXT listener on 127.0.0.1, what clients connect to. */
  readonly port: number;
  /** CONTROLLER listener on 127.0.0.1 (KRaft quorum traffic only). */
  readonly controllerPort: number;
  readonly pid: number;
  /** The broker's own log (log4j2); JVM stdout/stderr go to `stdout.log` next to it. */
  readonly logFile: string;
}

export interface KafkaRunning {
  readonly mode: KafkaMode;
  readonly version: string;
  /** Comma-separated `127.0.0.1:port` list of every broker. */
  readonly bootstrap: string;
  readonly brokers: readonly KafkaBrokerInfo[];
  readonly home: string;
  /**
   * Nodes recorded at start that are no longer running (a cluster survives one); `brokers` and
   * `bootstrap` list only the live ones. `startKafka` on the same home relaunches the missing nodes.
   */
  readonly down?: readonly number[];
}

/** Receives human-readable progress lines (e.g. to print on stderr). */
export type ProgressListener = (message: string) => void;
