// The public face of the contracts layer: what services, the runtime and the CLI import.

export { applyCatalog, type ApplyOptions, type ApplyReport, type Drift, DriftKinds } from './apply.ts';
export { buildCatalog, type Catalog, catalog, declaredProducts, productFor } from './catalog.ts';
export { backwardIssues, type CompatibilityIssue, isBackwardCompatible } from './compat/backward.ts';
export { checkHistory, type HistoryProblem } from './compat/history.ts';
export {
  type Decoded,
  decode,
  decodeBytes,
  decodeCompacted,
  type DecodedBytes,
  type RecordMeta,
} from './decode.ts';
export { deadLetterProduct, DeadLetterHeaders, DLQ_SUFFIX, type Failure, toDeadLetter } from './dlq.ts';
export { encode, encodeBytes, type EncodeOptions, encodeTombstone, type ProducerIdentity } from './encode.ts';
export { ContractError, type ContractErrorCode, ContractErrorCodes, isContractError } from './errors.ts';
export { HeaderNames } from './headers.ts';
export { productJsonSchemas, schemaUrn, toJsonSchema } from './json-schema.ts';
export {
  type BytesProduct,
  type Cleanup,
  currentVersion,
  isJsonProduct,
  type JsonProduct,
  type Product,
  type Team,
  Teams,
} from './product.ts';
export { RawHeaders } from './raw-headers.ts';
export { topicConfigs } from './topic-config.ts';
export {
  childTraceparent,
  formatTraceparent,
  newTraceparent,
  parseTraceparent,
  type TraceContext,
  traceparentProblem,
} from './traceparent.ts';
export { candles, klines } from './products/candles.ts';
export { queueControl, queueEvents } from './products/control.ts';
export { bookDelta, bookDepth, bookTop, trades } from './products/market.ts';
export { rawTopics } from './products/raw.ts';
export { alerts, instruments } from './products/reference.ts';
export { executions, orders, positions, signals } from './products/trading.ts';
export { workflows } from './products/workflows.ts';
export { LeaderStates, type OrchestratorLeader, orchestratorLeaders } from './products/leaders.ts';
