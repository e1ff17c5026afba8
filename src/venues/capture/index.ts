// Reads recorded exchange traffic (hftbacktest and cryptofeed captures) as frames with their receive time.

import { CaptureError, CaptureErrorCodes } from '../errors.ts';
import { isCryptofeedLine, CryptofeedParser } from './cryptofeed.ts';
import { HFTBACKTEST_LINE, HftbacktestParser } from './hftbacktest.ts';
import { readLines } from './lines.ts';
import { type CaptureFrame, type LineParser } from './frame.ts';

export { type CaptureFrame, toRawFrame } from './frame.ts';
export { detectVenue } from './detect.ts';

function parserFor(file: string, firstLine: string, number: number): LineParser {
  if (HFTBACKTEST_LINE.test(firstLine)) return new HftbacktestParser(file);
  if (isCryptofeedLine(firstLine)) return new CryptofeedParser(file);
  throw new CaptureError(
    CaptureErrorCodes.UNKNOWN_FORMAT,
    file,
    number,
    'neither an hftbacktest line (`<local_receive_ns> <raw json>`) nor a cryptofeed line (`<url> <-> <ts>`, `<ts>: <frame>`, `<url> -> <ts>: <body>`)',
  );
}

/**
 * The received frames of a capture, in file order. Gzip is recognised by its magic bytes, the
 * recorder format by the first non-empty line; the file is streamed, so size does not matter.
 * Frames the recorder sent (cryptofeed `<-` lines), connection headers, the recorder's
 * configuration line and blank lines are not frames; any other line that fits no format throws
 * `CaptureError` naming `file:line`, so nothing is dropped silently.
 */
export async function* readCapture(file: string): AsyncGenerator<CaptureFrame> {
  let parser: LineParser | undefined;
  for await (const { text, number } of readLines(file)) {
    if (text.length === 0) continue;
    parser ??= parserFor(file, text, number);
    yield* parser.line(text, number);
  }
  if (parser) yield* parser.end();
}
