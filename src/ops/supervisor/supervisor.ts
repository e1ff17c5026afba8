// Runs services as child processes, N replicas each: restarts crashes with backoff, gives up on crash loops, scales, stops gracefully.

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CrashHistory, DEFAULT_RESTART_POLICY, type RestartPolicy } from './backoff.ts';

/** How to start one replica: the executable, its arguments and its whole environment. */
export interface ReplicaCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export type SupervisorEvent =
  | { readonly type: 'started'; readonly service: string; readonly replica: number; readonly pid: number }
  | {
      readonly type: 'exited';
      readonly service: string;
      readonly replica: number;
      readonly code: number | null;
      readonly signal: NodeJS.Signals | null;
      readonly uptimeMs: number;
      /** Asked to stop (scale down, supervisor stop), or ended with code 0 on its own. */
      readonly expected: boolean;
    }
  | {
      readonly type: 'restarting';
      readonly service: string;
      readonly replica: number;
      readonly delayMs: number;
      readonly attempt: number;
    }
  | {
      readonly type: 'gave-up';
      readonly service: string;
      readonly replica: number;
      readonly crashes: number;
      readonly reason: string;
    }
  | { readonly type: 'scaled'; readonly service: string; readonly from: number; readonly to: number };

export interface SupervisorOptions {
  /** The command of replica `replica` (0-based) of `service`. */
  readonly commandFor: (service: string, replica: number) => ReplicaCommand;
  readonly policy?: Partial<RestartPolicy>;
  /** Time a replica has after SIGTERM before it is killed (SIGKILL). Default 15 s. */
  readonly stopGraceMs?: number;
  /** Where a child's output lines go, prefixed `service#replica | `. Default this process's stdout/stderr. */
  readonly output?: (line: string, stream: 'stdout' | 'stderr') => void;
  readonly onEvent?: (event: SupervisorEvent) => void;
  readonly random?: () => number;
}

export const ReplicaStates = {
  RUNNING: 'running',
  BACKOFF: 'backoff',
  STOPPING: 'stopping',
  STOPPED: 'stopped',
  FAILED: 'failed',
} as const;
export type ReplicaState = (typeof ReplicaStates)[keyof typeof ReplicaStates];

export interface ReplicaStatus {
  readonly service: string;
  readonly replica: number;
  readonly state: ReplicaState;
  readonly pid: number | null;
  readonly restarts: number;
}

/** Lines of a child's stderr kept for the give-up message. */
const LAST_LINES = 5;

class Replica {
  state: ReplicaState = ReplicaStates.STOPPED;
  child: ChildProcess | null = null;
  startedAt = 0;
  restarts = 0;
  exited: Promise<void> = Promise.resolve();
  timer: NodeJS.Timeout | null = null;
  lastLines: string[] = [];
  readonly history: CrashHistory;

  readonly service: string;
  readonly index: number;

  constructor(service: string, index: number, policy: RestartPolicy, random: () => number) {
    this.service = service;
    this.index = index;
    this.history = new CrashHistory(policy, random);
  }
}

export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #policy: RestartPolicy;
  readonly #services = new Map<string, Replica[]>();
  readonly #failures: Array<(event: Extract<SupervisorEvent, { type: 'gave-up' }>) => void> = [];
  #stopping = false;
  readonly #killAll = (): void => {
    for (const replicas of this.#services.values())
      for (const r of replicas) if (r.child && r.child.exitCode === null) r.child.kill('SIGKILL');
  };

  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#policy = { ...DEFAULT_RESTART_POLICY, ...options.policy };
    // Children run in their own process groups (Ctrl-C reaches only the supervisor, which stops
    // them in order); should the supervisor exit without stopping them, they go with it.
    process.on('exit', this.#killAll);
  }

  /** Replicas of a service that are meant to run (running or waiting to restart). */
  replicas(service: string): number {
    return (this.#services.get(service) ?? []).filter(
      (r) => r.state === ReplicaStates.RUNNING || r.state === ReplicaStates.BACKOFF,
    ).length;
  }

  status(): ReplicaStatus[] {
    return [...this.#services.values()].flat().map((r) => ({
      service: r.service,
      replica: r.index,
      state: r.state,
      pid: r.child?.pid ?? null,
      restarts: r.restarts,
    }));
  }

  /** Called when the supervisor gives up on a crash-looping replica. */
  onGiveUp(listener: (event: Extract<SupervisorEvent, { type: 'gave-up' }>) => void): void {
    this.#failures.push(listener);
  }

  /**
   * Runs `count` replicas of `service`: starts the missing ones (lowest free index first) or
   * stops the highest-numbered ones gracefully; resolves once those have exited.
   */
  async scale(service: string, count: number): Promise<void> {
    if (!Number.isInteger(count) || count < 0)
      throw new RangeError(`scale ${service}: replicas must be an integer >= 0, got ${count}`);
    if (this.#stopping) throw new Error(`scale ${service}: the supervisor is stopping`);
    const slots = this.#services.get(service) ?? [];
    this.#services.set(service, slots);
    const from = this.replicas(service);
    if (count === from) return;
    if (count > from) {
      for (let i = 0; this.replicas(service) < count; i++) {
        slots[i] ??= new Replica(service, i, this.#policy, this.#options.random ?? Math.random);
        const slot = slots[i]!;
        if (slot.state === ReplicaStates.STOPPED || slot.state === ReplicaStates.FAILED) this.#spawn(slot);
      }
    } else {
      const active = slots.filter(
        (r) => r.state === ReplicaStates.RUNNING || r.state === ReplicaStates.BACKOFF,
      );
      await Promise.all(active.slice(count).map((r) => this.#stopReplica(r)));
    }
    this.#emit({ type: 'scaled', service, from, to: count });
  }

  /** Stops every replica: SIGTERM, then SIGKILL after the grace period. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all([...this.#services.values()].flat().map((r) => this.#stopReplica(r)));
    process.off('exit', this.#killAll);
  }

  #emit(event: SupervisorEvent): void {
    this.#options.onEvent?.(event);
  }

  #spawn(r: Replica): void {
    const { command, args, env, cwd } = this.#options.commandFor(r.service, r.index);
    const child = spawn(command, [...args], {
      env,
      ...(cwd ? { cwd } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    r.child = child;
    r.state = ReplicaStates.RUNNING;
    r.startedAt = Date.now();
    r.lastLines = [];
    const prefix = `${r.service}#${r.index} | `;
    const write =
      this.#options.output ??
      ((line: string, stream: 'stdout' | 'stderr') =>
        void (stream === 'stdout' ? process.stdout : process.stderr).write(`${line}\n`));
    const pipe = (stream: NodeJS.ReadableStream, name: 'stdout' | 'stderr'): Promise<void> =>
      new Promise((resolve) => {
        const lines = createInterface({ input: stream, crlfDelay: Infinity });
        lines.on('line', (line) => {
          if (name === 'stderr') {
            r.lastLines.push(line);
            if (r.lastLines.length > LAST_LINES) r.lastLines.shift();
          }
          write(`${prefix}${line}`, name);
        });
        lines.on('close', resolve);
      });
    const piped = Promise.all([pipe(child.stdout!, 'stdout'), pipe(child.stderr!, 'stderr')]);
    r.exited = new Promise((resolve) => {
      let spawnError: Error | null = null;
      child.on('error', (error) => (spawnError = error));
      child.on('close', (code, signal) => {
        void piped.then(() => {
          if (spawnError) r.lastLines.push(spawnError.message);
          this.#exited(r, child, code, signal);
          resolve();
        });
      });
    });
    if (child.pid !== undefined)
      this.#emit({ type: 'started', service: r.service, replica: r.index, pid: child.pid });
  }

  #exited(r: Replica, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (r.child !== child) return;
    r.child = null;
    const uptimeMs = Date.now() - r.startedAt;
    const asked = r.state === ReplicaStates.STOPPING || this.#stopping;
    const expected = asked || code === 0;
    this.#emit({ type: 'exited', service: r.service, replica: r.index, code, signal, uptimeMs, expected });
    if (expected) {
      r.state = ReplicaStates.STOPPED;
      return;
    }
    const verdict = r.history.crashed(Date.now(), uptimeMs);
    if (!verdict.restart) {
      r.state = ReplicaStates.FAILED;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const last = r.lastLines.length > 0 ? `; its last output: ${r.lastLines.join(' / ')}` : '';
      const event = {
        type: 'gave-up' as const,
        service: r.service,
        replica: r.index,
        crashes: verdict.crashes,
        reason:
          `${r.service}#${r.index} ${how}, its ${verdict.crashes}th crash within ` +
          `${this.#policy.crashLoopWindowMs} ms: a crash loop, not restarting it${last}`,
      };
      this.#emit(event);
      for (const listener of this.#failures) listener(event);
      return;
    }
    r.state = ReplicaStates.BACKOFF;
    r.restarts++;
    this.#emit({
      type: 'restarting',
      service: r.service,
      replica: r.index,
      delayMs: verdict.delayMs,
      attempt: verdict.attempt,
    });
    r.timer = setTimeout(() => {
      r.timer = null;
      if (r.state === ReplicaStates.BACKOFF && !this.#stopping) this.#spawn(r);
    }, verdict.delayMs);
  }

  async #stopReplica(r: Replica): Promise<void> {
    if (r.timer) {
      clearTimeout(r.timer);
      r.timer = null;
    }
    const child = r.child;
    if (!child) {
      if (r.state !== ReplicaStates.FAILED) r.state = ReplicaStates.STOPPED;
      return;
    }
    r.state = ReplicaStates.STOPPING;
    const exited = r.exited;
    child.kill('SIGTERM');
    const grace = this.#options.stopGraceMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        resolve();
      }, grace);
    });
    await Promise.race([exited, killed]);
    clearTimeout(timer);
    await exited;
  }
}
