// The public face of the service runtime: define a service, run it, observe it.

export { ControlPlane, queueMatches, UnknownCommandError } from './control.ts';
export { type ComponentState, ComponentStates, Lifecycle } from './lifecycle.ts';
export { noMetrics, type RuntimeLogger, type RuntimeMetrics, silentLogger } from './log.ts';
export {
  backoffDelay,
  DEFAULT_RETRY,
  isRetryable,
  PermanentError,
  type RetryPolicy,
  retryPolicy,
} from './retry.ts';
export { ensureTopics, type HostedService, type HostOptions, ServiceHost } from './host.ts';
export { type HealthReport, type RunOptions, ServiceRunner } from './runner.ts';
export { EventTimeWindows, GlobalTable, type KeyValueStore, type StoreSpec } from './state/index.ts';
export {
  type BackgroundContext,
  type BatchContext,
  defineService,
  type EmitOptions,
  type Emitter,
  type HandlerContext,
  type Input,
  type InputOf,
  type InstanceContext,
  isFrom,
  type JobHandlers,
  type LifecycleContext,
  type ServiceDefinition,
  type StartContext,
  type TableView,
  type ValueOf,
} from './service.ts';
