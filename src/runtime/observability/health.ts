// The health report a process serves on /health, and the overall status derived from its components.

import { type ComponentState, ComponentStates, isComponentState } from './states.ts';

export const HealthStatuses = { OK: 'ok', DEGRADED: 'degraded', FAILED: 'failed' } as const;
export type HealthStatus = (typeof HealthStatuses)[keyof typeof HealthStatuses];

export interface ComponentHealth {
  readonly state: ComponentState;
  /** Why it is in this state, for an operator (e.g. the last error). Never put secrets here. */
  readonly detail?: string;
}

/** What the runtime reports: one entry per component (service, consumer, store), by name. */
export interface HealthReport {
  readonly components: Readonly<Record<string, ComponentHealth>>;
}

/**
 * The worst of the components: any failed makes the process failed, any degraded makes it
 * degraded. Starting, paused, stopping and stopped are healthy: they are deliberate, and
 * whether the process should take traffic is what readiness answers. A state outside the
 * known set (a caller bypassing the types) counts as failed, so it is seen rather than hidden.
 */
export function healthStatus(report: HealthReport): HealthStatus {
  let status: HealthStatus = HealthStatuses.OK;
  for (const component of Object.values(report.components)) {
    if (!isComponentState(component.state) || component.state === ComponentStates.FAILED) {
      return HealthStatuses.FAILED;
    }
    if (component.state === ComponentStates.DEGRADED) status = HealthStatuses.DEGRADED;
  }
  return status;
}
