// The catalog: every data product of StreamForge, their dead-letter topics, and lookup by topic name.

import { deadLetterProduct } from './dlq.ts';
import { ContractError, ContractErrorCodes } from './errors.ts';
import { candles, klines } from './products/candles.ts';
import { queueControl, queueEvents } from './products/control.ts';
import { bookDelta, bookDepth, bookTop, trades } from './products/market.ts';
import { rawTopics } from './products/raw.ts';
import { alerts, instruments } from './products/reference.ts';
import { executions, orders, positions, signals } from './products/trading.ts';
import { orchestratorLeaders } from './products/leaders.ts';
import { workflows } from './products/workflows.ts';
import { type Product } from './product.ts';
import { closeMatches } from './suggest.ts';

export interface Catalog {
  /** Every topic: the declared products, each followed by its dead-letter topic. */
  readonly products: readonly Product[];
  /** The product of a topic; UNKNOWN_PRODUCT (listing close matches) when there is none. */
  get(topic: string): Product;
  find(topic: string): Product | undefined;
  /** The products of one declaration (`md.candles.<interval>` gives the four candle topics). */
  byDeclaration(declaration: string): Product[];
}

/** Builds a catalog from declared products, deriving `<topic>.dlq` for each. */
export function buildCatalog(declared: readonly Product[]): Catalog {
  const products: Product[] = [];
  const byTopic = new Map<string, Product>();
  for (const product of declared.flatMap((p) => [p, deadLetterProduct(p)])) {
    if (byTopic.has(product.topic)) {
      throw new ContractError(
        ContractErrorCodes.INVALID_DECLARATION,
        `topic ${product.topic} is declared twice in the catalog`,
      );
    }
    byTopic.set(product.topic, product);
    products.push(product);
  }
  const names = [...new Set([...byTopic.keys(), ...products.map((p) => p.declaration)])];
  return {
    products,
    find: (topic) => byTopic.get(topic),
    get(topic) {
      const product = byTopic.get(topic);
      if (product) return product;
      const close = closeMatches(topic, names);
      throw new ContractError(
        ContractErrorCodes.UNKNOWN_PRODUCT,
        `no data product named ${JSON.stringify(topic)}` +
          (close.length > 0
            ? `; did you mean ${close.join(', ')}?`
            : ' (run `streamforge catalog` for the list)'),
      );
    },
    byDeclaration: (declaration) => products.filter((p) => p.declaration === declaration),
  };
}

/** The declared products of StreamForge, in data-flow order. */
export const declaredProducts: readonly Product[] = [
  queueControl,
  queueEvents,
  workflows,
  orchestratorLeaders,
  ...Object.values(rawTopics),
  trades,
  bookDelta,
  bookTop,
  bookDepth,
  klines,
  ...Object.values(candles),
  instruments,
  alerts,
  signals,
  orders,
  executions,
  positions,
];

export const catalog: Catalog = buildCatalog(declaredProducts);

/** The product of a topic in the StreamForge catalog (UNKNOWN_PRODUCT when there is none). */
export function productFor(topic: string): Product {
  return catalog.get(topic);
}
