// A deliberately broken candles version for the time-travel scenario: the real service, with volume and quote volume swapped in its output.

import { type Candle } from '../../contracts/schema/candles.ts';
import { type BatchContext, defineService, type ServiceDefinition } from '../../runtime/index.ts';
import { type CandlesOptions, createCandles } from '../../services/candles/index.ts';

/**
 * The candles service as a bad deploy could ship it: everything the real one does (state,
 * watermark, flat candles), but each published candle carries its quote volume as its volume,
 * the kind of bug a refactoring of field names brings in. Its state stays right, so only the
 * outputs (and whatever stored them) are wrong, as after a real bad deploy.
 */
export function createBrokenCandles(options: CandlesOptions): ServiceDefinition {
  const real = createCandles(options);
  const outputs = new Set(real.produces.map((p) => p.topic));
  return defineService({
    ...real,
    description: `${real.description} (BROKEN on purpose: volume := quoteVolume)`,
    afterBatch(ctx) {
      // A proxy keeps every other member of the runtime's context as it is, bound to it.
      const wrong = new Proxy(ctx, {
        get(target, property) {
          if (property === 'emit')
            return (product: { topic: string }, value: unknown, emitOptions?: object) =>
              target.emit(
                product as never,
                (outputs.has(product.topic)
                  ? { ...(value as Candle), volume: (value as Candle).quoteVolume }
                  : value) as never,
                emitOptions,
              );
          const member: unknown = Reflect.get(target, property);
          return typeof member === 'function' ? (member as () => unknown).bind(target) : member;
        },
      }) as BatchContext;
      return real.afterBatch!(wrong);
    },
  });
}
