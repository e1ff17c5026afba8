// What the service runtime uses to be observed: Prometheus metrics, the /metrics-/health-/ready server, JSON logs.

export {
  ObservabilityError,
  ObservabilityErrorCodes,
  isObservabilityError,
  type ObservabilityErrorCode,
  type ObservabilityErrorOptions,
} from './errors.ts';
export { ComponentStates, componentStates, isComponentState, type ComponentState } from './states.ts';
export {
  HealthStatuses,
  healthStatus,
  type ComponentHealth,
  type HealthReport,
  type HealthStatus,
} from './health.ts';
export { METRICS_PORT_ENV, METRICS_PORT_OPTION, parsePort } from './port.ts';
export { createMetricsRegistry, type MetricsRegistryOptions } from './registry.ts';
export {
  HANDLER_BUCKETS,
  MetricNames,
  createServiceMetrics,
  type ServiceIdentity,
  type ServiceMetrics,
} from './metrics.ts';
export {
  startObservabilityServer,
  type ObservabilityServer,
  type ObservabilityServerOptions,
} from './http.ts';
export {
  REDACTED,
  REDACTED_KEYS,
  REDACT_DEPTH,
  createLogger,
  redactPaths,
  type Logger,
  type LoggerOptions,
} from './log.ts';
