// The public face of service state: changelog-backed keyed stores, global tables and event-time windows.

export { changelogTopic } from './changelog.ts';
export {
  COMMIT_MARKER_KEY,
  decodeCommitMarker,
  encodeCommitMarker,
  type InputPositions,
  isCommitMarker,
} from './commit-marker.ts';
export { isStateError, StateError, type StateErrorCode, StateErrorCodes } from './errors.ts';
export { GlobalTable, type GlobalTableOptions } from './global-table.ts';
export { type KeyValueStore } from './key-value-store.ts';
export { jsonSerde, type Serde } from './serde.ts';
export { StateManager, type StateManagerOptions, type StoreSpec } from './state-manager.ts';
export {
  type AddResult,
  type ClosedWindow,
  EventTimeWindows,
  type LateRecord,
  type WindowOptions,
  type WindowSpec,
  windowStarts,
} from './windows.ts';
