// Parses cryptofeed raw-data capture lines: connection headers, sent and received WebSocket frames, REST bodies.

import { CaptureError, CaptureErrorCodes } from '../errors.ts';
import { type CaptureFrame, type LineParser, NO_FRAMES } from './frame.ts';
import { secondsTextToMs } from './time.ts';

// Only the prefix is matched; the body is sliced off after it, so a 1 MB body is not scanned twice.
/** `<receive_ts_float>: <raw frame>`: a frame the recorder received on the current connection. */
const RECEIVED = /^(\d+(?:\.\d+)?): /;
/** `<url> <-> <ts>`: a connection opened; the frames after it arrived on this URL. */
const HEADER = /^(\S+) <-> (\d+(?:\.\d+)?)$/;
/** `<url> <- <ts>: <json>`: what the recorder sent (subscriptions); not received data. */
const SENT = /^(\S+) <- (\d+(?:\.\d+)?): /;
/** `<url> -> <ts>: <body>`: a REST response body (`*.http.*` files, Coinbase's `COINBASE.0`). */
const REST = /^(\S+) -> (\d+(?:\.\d+)?): /;
/** `configuration: <json>`: the recorder's own settings, written once; not exchange data. */
const CONFIGURATION = /^configuration: /;

/** Whether a line is in one of cryptofeed's formats (used to recognise the file from its first line). */
export function isCryptofeedLine(text: string): boolean {
  return (
    RECEIVED.test(text) || HEADER.test(text) || SENT.test(text) || REST.test(text) || CONFIGURATION.test(text)
  );
}

/** `https://api.binance.com/api/v3/depth?symbol=X&limit=1000` -> `/api/v3/depth?symbol=X&limit=1000`. */
function pathAndQuery(url: string): string | undefined {
  if (url.startsWith('/')) return url;
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    return undefined;
  }
}

export class CryptofeedParser implements LineParser {
  readonly #file: string;
  #url = '';

  constructor(file: string) {
    this.#file = file;
  }

  line(text: string, number: number): readonly CaptureFrame[] {
    if (text.length === 0) return NO_FRAMES;
    let m = RECEIVED.exec(text);
    if (m) {
      return [
        { receivedAt: this.#ms(m[1]!, number), kind: 'ws', source: this.#url, body: text.slice(m[0].length) },
      ];
    }
    if ((m = REST.exec(text))) {
      const source = pathAndQuery(m[1]!);
      if (source === undefined) throw this.#badLine(number, `the REST request URL ${m[1]} is not a URL`);
      return [{ receivedAt: this.#ms(m[2]!, number), kind: 'rest', source, body: text.slice(m[0].length) }];
    }
    if ((m = HEADER.exec(text))) {
      this.#url = m[1]!;
      return NO_FRAMES;
    }
    if (SENT.test(text) || CONFIGURATION.test(text)) return NO_FRAMES;
    throw this.#badLine(
      number,
      'expected `<ts>: <frame>`, `<url> <-> <ts>`, `<url> <- <ts>: <sent>`, `<url> -> <ts>: <body>` or `configuration: <json>`',
    );
  }

  end(): readonly CaptureFrame[] {
    return NO_FRAMES;
  }

  #ms(text: string, number: number): number {
    const ms = secondsTextToMs(text);
    if (ms === undefined) throw this.#badLine(number, `receive time ${text} is out of range`);
    return ms;
  }

  #badLine(number: number, message: string): CaptureError {
    return new CaptureError(CaptureErrorCodes.BAD_LINE, this.#file, number, message);
  }
}
