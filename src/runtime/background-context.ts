// The BackgroundContext of onStart and of jobs: a source's emitter plus events for any queue, tables and the bus.

import { type Bus } from '../bus/types.ts';
import { type QueueEvent } from '../contracts/schema/control.ts';
import { type BackgroundContext, type TableView } from './service.ts';
import { SourceEmitter, type SourceSink } from './source-context.ts';

/** What the emitter forwards to the runner: the context's own members besides those of a source. */
export interface BackgroundSink extends SourceSink, Pick<BackgroundContext, 'bus' | 'report' | 'table'> {}

/** One per instance: what its timers, servers and jobs emit goes out in order, as a source's records do. */
export class BackgroundEmitter extends SourceEmitter implements BackgroundContext {
  readonly #sink: BackgroundSink;

  constructor(sink: BackgroundSink) {
    super(sink);
    this.#sink = sink;
  }

  get bus(): Bus {
    return this.#sink.bus;
  }

  report(
    queueId: string,
    event: QueueEvent['event'],
    fields?: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    return this.#sink.report(queueId, event, fields);
  }

  table<V>(name: string): TableView<V> {
    return this.#sink.table<V>(name);
  }
}
