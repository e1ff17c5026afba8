// The states of a runtime component (a service, a consumer loop, a store), shared by metrics and health.

/** Every component is a small state machine; these are its only states. */
export const ComponentStates = {
  STARTING: 'starting',
  RUNNING: 'running',
  PAUSED: 'paused',
  STOPPING: 'stopping',
  STOPPED: 'stopped',
  /** Still working, but not fully (e.g. retrying a broker that cannot be reached). */
  DEGRADED: 'degraded',
  /** Gave up; needs a restart or an operator. */
  FAILED: 'failed',
} as const;

export type ComponentState = (typeof ComponentStates)[keyof typeof ComponentStates];

export const componentStates: readonly ComponentState[] = Object.values(ComponentStates);

export function isComponentState(value: unknown): value is ComponentState {
  return typeof value === 'string' && (componentStates as readonly string[]).includes(value);
}
