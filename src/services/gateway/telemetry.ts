// The gateway on the control plane like every service: started, heartbeat and interrupted on queue-events; ping answered.

import os from 'node:os';
import { type Producer } from '../../bus/types.ts';
import { type QueueCommand } from '../../contracts/schema/control.ts';
import { ControlPlane, noMetrics, type RuntimeLogger } from '../../runtime/index.ts';
import { type ResolvedGatewayOptions } from './options.ts';

export const GATEWAY_SERVICE = 'gateway';
const HEARTBEAT_MS = 10_000;

export class GatewayTelemetry {
  readonly instance = `${os.hostname()}-${process.pid}-${GATEWAY_SERVICE}`;
  readonly #o: ResolvedGatewayOptions;
  #producer: Producer | null = null;
  #control: ControlPlane | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: ResolvedGatewayOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    const log = (_context: object, message: string): void => this.#o.log(message);
    const logger: RuntimeLogger = { debug: () => undefined, info: () => undefined, warn: log, error: log };
    const producer = this.#o.bus.producer({ clientId: this.instance });
    this.#producer = producer;
    const control = new ControlPlane({
      bus: this.#o.bus,
      producer,
      identity: { service: GATEWAY_SERVICE, instance: this.instance },
      queueId: GATEWAY_SERVICE,
      log: logger,
      metrics: noMetrics,
      onCommand: (command) => this.#onCommand(command),
    });
    this.#control = control;
    await control.start();
    await this.#publish('started');
    this.#timer = setInterval(() => void this.#publish('heartbeat', { state: 'running' }), HEARTBEAT_MS);
    this.#timer.unref();
  }

  async #onCommand(command: QueueCommand): Promise<void> {
    if (command.command === 'ping') return this.#publish('pong', { command_id: command.command_id });
    // Throwing makes the control plane answer with an `error` event naming the command.
    throw new Error(
      `the gateway answers ping only; stop it as a process (Ctrl-C, SIGTERM), not with ${command.command}`,
    );
  }

  async #publish(event: 'started' | 'heartbeat' | 'pong' | 'interrupted', fields = {}): Promise<void> {
    try {
      await this.#control?.publish(event, fields);
    } catch (error) {
      this.#o.log(`could not publish ${event} on queue-events: ${(error as Error).message}`);
    }
  }

  async stop(reason: string): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#control) await this.#publish('interrupted', { reason });
    await this.#control?.close();
    await this.#producer?.close();
    this.#control = null;
    this.#producer = null;
  }
}
