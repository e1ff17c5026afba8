// The log4j2 configurations for brokers (INFO to a rolling file, noisy loggers quieter) and for tools (WARN to stderr).

import { renderProperties } from './config.ts';

/**
 * Loggers that repeat per request, per segment or per config dump at INFO; WARN keeps their problems
 * and drops the chatter that would bury the broker's lifecycle messages.
 */
export const NOISY_LOGGERS = [
  'kafka.request.logger',
  'state.change.logger',
  'org.apache.kafka.common.config.AbstractConfig',
  'org.apache.kafka.common.utils.AppInfoParser',
  'org.apache.kafka.common.metrics',
  'org.apache.kafka.clients',
  'org.apache.kafka.storage.internals.log',
  'kafka.log.LogCleaner',
  'kafka.server.ReplicaFetcherThread',
  'org.apache.kafka.image.loader',
] as const;

export const NOISY_LEVEL = 'WARN';

/** `${sys:kafka.logs.dir}` is set per node on the java command line, so one file serves every node. */
export function brokerLog4j2(): string {
  const properties: Record<string, string> = {
    status: 'warn',
    'appender.file.type': 'RollingFile',
    'appender.file.name': 'file',
    'appender.file.fileName': '${sys:kafka.logs.dir}/kafka.log',
    'appender.file.filePattern': '${sys:kafka.logs.dir}/kafka.log.%i',
    'appender.file.layout.type': 'PatternLayout',
    'appender.file.layout.pattern': '[%d] %p %m (%c)%n',
    'appender.file.policies.type': 'Policies',
    'appender.file.policies.size.type': 'SizeBasedTriggeringPolicy',
    'appender.file.policies.size.size': '20MB',
    'appender.file.strategy.type': 'DefaultRolloverStrategy',
    'appender.file.strategy.max': '3',
    'rootLogger.level': 'INFO',
    'rootLogger.appenderRef.file.ref': 'file',
  };
  NOISY_LOGGERS.forEach((name, i) => {
    properties[`logger.quiet${i}.name`] = name;
    properties[`logger.quiet${i}.level`] = NOISY_LEVEL;
  });
  return renderProperties(
    properties,
    'Written by StreamForge (src/ops/kafka/log4j.ts); rewritten on every start.',
  );
}

/** Tools print their results on stdout; their own logging only matters when something goes wrong. */
export function toolsLog4j2(): string {
  return renderProperties(
    {
      status: 'warn',
      'appender.stderr.type': 'Console',
      'appender.stderr.name': 'stderr',
      'appender.stderr.target': 'SYSTEM_ERR',
      'appender.stderr.layout.type': 'PatternLayout',
      'appender.stderr.layout.pattern': '[%d] %p %m (%c)%n',
      'rootLogger.level': 'WARN',
      'rootLogger.appenderRef.stderr.ref': 'stderr',
    },
    'Written by StreamForge (src/ops/kafka/log4j.ts) for Kafka command-line tools.',
  );
}
