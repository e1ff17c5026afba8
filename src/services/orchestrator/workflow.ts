// Workflow state and the orchestrator's decisions: a pure state machine over job events, commands out through an emitter.

import { randomBytes } from 'node:crypto';
import { type Emitter } from '../../runtime/index.ts';
import {
  queueControl,
  queueEvents,
  workflows as workflowsProduct,
  type JsonProduct,
} from '../../contracts/index.ts';
import { type Decision, Decisions, type QueueEvent, JobKinds } from '../../contracts/schema/control.ts';
import {
  MAX_HISTORY,
  StepStates,
  type Workflow,
  type WorkflowParams,
  type WorkflowStep,
  WorkflowStates,
  WorkflowTypes,
} from '../../contracts/schema/workflows.ts';

export const STEPS = [JobKinds.BACKFILL, JobKinds.PERSIST, JobKinds.FEATURES] as const;
const FINAL_WORKFLOW: readonly string[] = [
  WorkflowStates.SUCCEEDED,
  WorkflowStates.FAILED,
  WorkflowStates.STOPPED,
];
const ACTIVE_STEP: readonly string[] = [StepStates.RUNNING, StepStates.STUCK];

export const workflowQueue = (id: string): string => `wf-${id}`;
export const stepQueue = (id: string, step: string): string => `wf-${id}-${step}`;
const STEP_QUEUE = /^wf-([a-z0-9]{6,40})-([a-z]+)$/;
/**
 * A job worker's start older than the engine's own resumption by more than this is ignored: the
 * resumption re-issued every running step after it. The margin is for clocks that disagree.
 */
const WORKER_START_SKEW_MS = 60_000;

export function isFinal(w: Workflow): boolean {
  return FINAL_WORKFLOW.includes(w.state);
}

/**
 * The lifecycle `started` a job worker instance publishes on its own queue when it starts: not a
 * job's (`wf-...`), and answering no command (a `start` sent to the instance carries its id).
 */
function isWorkerStart(event: QueueEvent, jobService: string): boolean {
  return (
    event.event === 'started' &&
    event.service === jobService &&
    event.command_id === undefined &&
    !STEP_QUEUE.test(event.queue_id)
  );
}

export function newWorkflowId(now = Date.now()): string {
  return `${now.toString(36)}${randomBytes(4).toString('hex')}`;
}

export interface EngineOptions {
  readonly service: string;
  readonly instance: string;
  /** A running step with no sign of progress for longer than this is stuck. */
  readonly deadlineMs: number;
  /** Restarts of a step before it fails (attempt 1 + retryLimit restarts). */
  readonly retryLimit: number;
  readonly jobService: string;
  readonly product: JsonProduct<Workflow>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? Mutable<U>[] : T[K] };
type W = Mutable<Workflow>;
type S = Mutable<WorkflowStep>;

/**
 * The workflows this orchestrator follows, in memory, with every change written out whole to
 * `orchestrator.workflows` (compacted) and every decision published on queue-events, through
 * whichever emitter the caller has: a handler's (outputs go before its input is committed) or the
 * background one (HTTP requests, the watchdog).
 */
export class WorkflowEngine {
  readonly #options: EngineOptions;
  readonly #workflows = new Map<string, W>();
  #commands = 0;
  /** When resume() ran: job-worker starts before it (less the skew) were covered by it. */
  #resumedAt = 0;

  constructor(options: EngineOptions) {
    this.#options = options;
  }

  get(id: string): Workflow | undefined {
    return this.#workflows.get(id);
  }

  list(): Workflow[] {
    return [...this.#workflows.values()].sort((a, b) => b.createdAt - a.createdAt || (b.id < a.id ? -1 : 1));
  }

  /** Takes back a workflow from the compacted topic (a restart). */
  restore(workflow: Workflow): void {
    this.#workflows.set(workflow.id, structuredClone(workflow) as W);
  }

  create(out: Emitter, params: WorkflowParams, now = Date.now()): Workflow {
    const id = newWorkflowId(now);
    const steps: S[] = STEPS.map((name) => ({
      name,
      state: StepStates.PENDING,
      attempt: 0,
      loaded: 0,
      total: null,
      startedAt: null,
      updatedAt: null,
      finishedAt: null,
      error: null,
    }));
    const w: W = {
      id,
      type: WorkflowTypes.BACKFILL_PERSIST_FEATURES,
      params: { ...params },
      state: WorkflowStates.PENDING,
      createdAt: now,
      updatedAt: now,
      steps,
      history: [],
    };
    this.#workflows.set(id, w);
    const range = `${new Date(params.from).toISOString()}..${new Date(params.to).toISOString()}`;
    this.#decide(
      out,
      w,
      Decisions.CREATED,
      null,
      `${w.type} ${params.exchange} ${params.symbol} ${params.interval} ${range}`,
      now,
    );
    this.#startStep(out, w, steps[0]!, 1, now, Decisions.STEP_STARTED);
    return w;
  }

  /** Stops a workflow; 'ended' when it had already ended, null when there is no such workflow. */
  stop(out: Emitter, id: string, now = Date.now()): Workflow | 'ended' | null {
    const w = this.#workflows.get(id);
    if (!w) return null;
    if (isFinal(w)) return 'ended';
    for (const step of w.steps) {
      if (ACTIVE_STEP.includes(step.state)) this.#command(out, w, step, 'stop', 'the workflow was stopped');
      if (step.state !== StepStates.SUCCEEDED) {
        step.state = StepStates.STOPPED;
        step.finishedAt ??= now;
      }
    }
    w.state = WorkflowStates.STOPPED;
    this.#decide(out, w, Decisions.STOPPED, null, 'stopped on request', now);
    return w;
  }

  /** A job event on queue-events; true when it changed a workflow. */
  onEvent(out: Emitter, event: QueueEvent, now = Date.now()): boolean {
    if (isWorkerStart(event, this.#options.jobService)) return this.#onWorkerStarted(out, event, now);
    const match = STEP_QUEUE.exec(event.queue_id);
    if (!match || event.service === this.#options.service) return false;
    const w = this.#workflows.get(match[1]!);
    if (!w || isFinal(w)) return false;
    const step = w.steps.find((s) => s.name === match[2]);
    if (!step || !ACTIVE_STEP.includes(step.state)) return false;
    switch (event.event) {
      case 'started':
        step.state = StepStates.RUNNING;
        step.updatedAt = now;
        this.#record(
          out,
          w,
          'started',
          step.name,
          `attempt ${step.attempt} started by ${event.instance}`,
          now,
        );
        return true;
      case 'loading':
        step.state = StepStates.RUNNING;
        step.loaded = event.loaded;
        step.total = event.total ?? step.total;
        step.updatedAt = now;
        this.#record(
          out,
          w,
          'loading',
          step.name,
          `${event.loaded}${event.total === undefined ? '' : ` of ${event.total}`}`,
          now,
        );
        return true;
      case 'finished': {
        step.state = StepStates.SUCCEEDED;
        step.loaded = event.loaded;
        step.updatedAt = now;
        step.finishedAt = now;
        this.#decide(out, w, Decisions.STEP_SUCCEEDED, step, `${event.loaded} done`, now);
        const next = w.steps.find((s) => s.state === StepStates.PENDING);
        if (next) this.#startStep(out, w, next, 1, now, Decisions.STEP_STARTED);
        else {
          w.state = WorkflowStates.SUCCEEDED;
          this.#decide(out, w, Decisions.SUCCEEDED, null, 'every step succeeded', now);
        }
        return true;
      }
      case 'error':
        this.#record(out, w, 'error', step.name, event.reason, now);
        this.#retry(out, w, step, `attempt ${step.attempt} failed: ${event.reason}`, now);
        return true;
      case 'interrupted':
        // Ours (the watchdog's stop) or the worker's shutdown: the watchdog judges what follows.
        this.#record(out, w, 'interrupted', step.name, event.reason, now);
        return true;
      default:
        return false;
    }
  }

  /** The watchdog: every running step silent for longer than the deadline is stuck, stopped and restarted. */
  watch(out: Emitter, now = Date.now()): void {
    for (const w of this.#workflows.values()) {
      if (isFinal(w)) continue;
      for (const step of w.steps) {
        if (step.state !== StepStates.RUNNING) continue;
        const silent = now - (step.updatedAt ?? step.startedAt ?? now);
        if (silent <= this.#options.deadlineMs) continue;
        step.state = StepStates.STUCK;
        this.#decide(
          out,
          w,
          Decisions.STUCK,
          step,
          `no progress for ${silent} ms (deadline ${this.#options.deadlineMs} ms)`,
          now,
        );
        this.#command(out, w, step, 'stop', `stuck: no progress for ${silent} ms`);
        this.#retry(out, w, step, `attempt ${step.attempt} stuck`, now);
      }
    }
  }

  /** After a restart: re-issues the start of every running step (jobs answer a repeated start without running twice). */
  resume(out: Emitter, now = Date.now()): void {
    this.#resumedAt = now;
    for (const w of this.#workflows.values()) {
      if (isFinal(w)) continue;
      const active = w.steps.find((s) => ACTIVE_STEP.includes(s.state));
      const next = w.steps.find((s) => s.state === StepStates.PENDING);
      if (active) {
        active.state = StepStates.RUNNING;
        active.updatedAt = now; // the deadline counts from the resumption, not from before the restart
        this.#command(out, w, active, 'start', 're-issued after an orchestrator restart');
        this.#record(
          out,
          w,
          'resumed',
          active.name,
          `attempt ${active.attempt} re-issued by ${this.#options.instance}`,
          now,
        );
      } else if (next) this.#startStep(out, w, next, 1, now, Decisions.STEP_STARTED);
    }
  }

  /**
   * A job worker instance (re)started: every control plane reads queue-control from its end, so a
   * start sent while no worker ran was lost. Each running step's start is sent again, same
   * attempt: a worker already running the job answers `started`, one that finished it `finished`,
   * and the claim in the jobs table keeps a second worker from running it. The step's deadline
   * keeps counting from its last progress, so a worker that restarts in a loop cannot hide a
   * stuck step from the watchdog.
   */
  #onWorkerStarted(out: Emitter, event: QueueEvent, now: number): boolean {
    if (event.time < this.#resumedAt - WORKER_START_SKEW_MS) return false;
    let changed = false;
    for (const w of this.#workflows.values()) {
      if (isFinal(w)) continue;
      const step = w.steps.find((s) => s.state === StepStates.RUNNING);
      if (!step) continue;
      this.#command(out, w, step, 'start', `re-issued: job worker ${event.instance} started`);
      this.#record(
        out,
        w,
        'reissued',
        step.name,
        `attempt ${step.attempt} re-issued: job worker ${event.instance} started`,
        now,
      );
      changed = true;
    }
    return changed;
  }

  #retry(out: Emitter, w: W, step: S, why: string, now: number): void {
    if (step.attempt <= this.#options.retryLimit) {
      this.#startStep(
        out,
        w,
        step,
        step.attempt + 1,
        now,
        Decisions.RESTARTED,
        `${why}; restarting from its checkpoint`,
      );
      return;
    }
    step.state = StepStates.FAILED;
    step.finishedAt = now;
    step.error = `${why}; retry limit ${this.#options.retryLimit} reached`;
    this.#decide(out, w, Decisions.RETRY_LIMIT, step, step.error, now);
    w.state = WorkflowStates.FAILED;
    this.#decide(out, w, Decisions.FAILED, null, `step ${step.name} failed`, now);
  }

  #startStep(
    out: Emitter,
    w: W,
    step: S,
    attempt: number,
    now: number,
    decision: Decision,
    why?: string,
  ): void {
    step.state = StepStates.RUNNING;
    step.attempt = attempt;
    step.startedAt = now;
    step.updatedAt = now;
    step.finishedAt = null;
    step.error = null;
    w.state = WorkflowStates.RUNNING;
    this.#command(out, w, step, 'start');
    this.#decide(out, w, decision, step, why ?? `attempt ${attempt}`, now);
  }

  #command(out: Emitter, w: Workflow, step: WorkflowStep, command: 'start' | 'stop', reason?: string): void {
    const p = w.params;
    out.emit(queueControl, {
      command_id: `${this.#options.instance.replace(/[^A-Za-z0-9._:-]/g, '-').slice(0, 60)}-${Date.now()}-${++this.#commands}`,
      queue_id: stepQueue(w.id, step.name),
      target_service: this.#options.jobService,
      issued_by: this.#options.service,
      issued_at: Date.now(),
      command,
      args: {
        ...(reason ? { reason } : {}),
        job: step.name as (typeof STEPS)[number],
        exchange: p.exchange,
        symbol: p.symbol,
        interval: p.interval,
        from: p.from,
        to: p.to,
        workflow_id: w.id,
        attempt: Math.max(1, step.attempt),
      },
    });
  }

  #decide(
    out: Emitter,
    w: W,
    decision: Decision,
    step: WorkflowStep | null,
    reason: string,
    now: number,
  ): void {
    out.emit(queueEvents, {
      service: this.#options.service,
      instance: this.#options.instance,
      queue_id: workflowQueue(w.id),
      time: now,
      event: 'decision',
      decision,
      ...(step ? { step: step.name, attempt: Math.max(1, step.attempt) } : {}),
      reason: reason.slice(0, 1000),
    });
    this.#record(out, w, decision, step?.name ?? null, reason, now);
  }

  /** Adds a history entry and writes the whole workflow out. */
  #record(out: Emitter, w: W, event: string, step: string | null, detail: string, now: number): void {
    const entry = { time: now, event, step, detail: detail.slice(0, 1024) };
    // Progress replaces the progress entry just before it: the history keeps what happened, not every tick.
    const last = w.history.at(-1);
    if (event === 'loading' && last?.event === 'loading' && last.step === step)
      w.history[w.history.length - 1] = entry;
    else w.history.push(entry);
    // The first entry (created) stays; the oldest of the rest go.
    if (w.history.length > MAX_HISTORY) w.history.splice(1, w.history.length - MAX_HISTORY);
    w.updatedAt = now;
    out.emit(this.#options.product, w);
  }
}

export { workflowsProduct };
