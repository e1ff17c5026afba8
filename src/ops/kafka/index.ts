// The programmatic API for running a real Apache Kafka (from Maven Central) locally and its command-line tools.

export { resolveKafkaClasspath, type KafkaClasspath, type ResolveClasspathOptions } from './classpath.ts';
export {
  DEFAULT_HEAP_MB,
  DEFAULT_PORT,
  NODE_COUNT,
  portsFrom,
  serverProperties,
  type NodePorts,
} from './config.ts';
export { isKafkaOpsError, KafkaOpsError, KafkaOpsErrorCodes, type KafkaOpsErrorCode } from './errors.ts';
export { findBrokerProcesses } from './state.ts';
export { startKafka, type StartKafkaOptions } from './start.ts';
export { kafkaStatus, type KafkaStatusOptions } from './status.ts';
export { stopKafka, type StopKafkaOptions, type StopKafkaResult } from './stop.ts';
export {
  KAFKA_TOOLS,
  runKafkaTool,
  withBootstrap,
  type KafkaToolName,
  type KafkaToolOptions,
  type KafkaToolResult,
} from './tools.ts';
export {
  KafkaModes,
  type KafkaBrokerInfo,
  type KafkaMode,
  type KafkaRunning,
  type ProgressListener,
} from './types.ts';
