// Starting the platform as a user does and watching it come up: used by the startup benchmark and the test of `up`.

export {
  checkCandle,
  checkDepth,
  checkTop,
  checkTrade,
  FeedKinds,
  type FeedKind,
  FeedProbeError,
  ImplausibleDataError,
  type LiveFeed,
  probeFeed,
} from './feed.ts';
export { STREAMFORGE_BIN, type UpExit, UpProcess, type UpProcessOptions } from './up.ts';
