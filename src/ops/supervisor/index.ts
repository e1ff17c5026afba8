// Cluster mode's process management: a supervisor of service replicas (restart with backoff, scaling, graceful stop) and a lag autoscaler.

export { CrashHistory, type CrashVerdict, DEFAULT_RESTART_POLICY, type RestartPolicy } from './backoff.ts';
export {
  type ReplicaCommand,
  type ReplicaState,
  ReplicaStates,
  type ReplicaStatus,
  Supervisor,
  type SupervisorEvent,
  type SupervisorOptions,
} from './supervisor.ts';
export {
  Autoscaler,
  type AutoscalerOptions,
  desiredReplicas,
  publishDecision,
  type ScaleDecision,
} from './autoscaler.ts';
