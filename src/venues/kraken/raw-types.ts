// Kraken WebSocket v1 public messages as the exchange sends them: channel arrays and event objects.
//
// Channel data comes as arrays, `[channelID, payload..., channelName, pair]`; prices, volumes and
// times are decimal text, times in seconds with microseconds ("1618678133.365913").

/** `[price, volume, time]`, plus `"r"` when the level is republished (an update of a level that left and re-entered the depth). */
export type KrakenLevel = readonly [string, string, string] | readonly [string, string, string, 'r'];

/** The first message of a book subscription: the whole book up to the subscribed depth. */
export interface KrakenBookSnapshot {
  readonly as: readonly KrakenLevel[];
  readonly bs: readonly KrakenLevel[];
}

/**
 * A book update: asks, bids or both (Kraken may split one update over two objects in the same
 * array, `[id, {a}, {b, c}, "book-10", pair]`); volume "0.00000000" removes the level. `c` is
 * the CRC32 of the top 10 levels after the update, unsigned, as decimal text.
 */
export interface KrakenBookUpdate {
  readonly a?: readonly KrakenLevel[];
  readonly b?: readonly KrakenLevel[];
  readonly c?: string;
}

/** `[price, volume, time, side, orderType, misc]`: side `b`/`s` is the taker's; order type `m` market, `l` limit. */
export type KrakenTrade = readonly [string, string, string, 'b' | 's', 'm' | 'l', string];

/** A channel message: `[channelID, payload (one or two objects, or an array of trades), channelName, pair]`. */
export type KrakenChannelMessage = readonly [number, ...unknown[]];

/** `{"event":"heartbeat"}`, `{"event":"systemStatus",...}`, `{"event":"subscriptionStatus",...}`. */
export interface KrakenEvent {
  readonly event: string;
  readonly status?: string;
  readonly errorMessage?: string;
  readonly channelName?: string;
  readonly pair?: string;
}
