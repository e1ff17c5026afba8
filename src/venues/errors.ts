// The closed sets of venue error codes: frames a mapper cannot understand, and capture files a reader cannot read.

export const FrameErrorCodes = {
  /** The body is not UTF-8 JSON (and not a text the venue is known to send, such as OKX `pong`). */
  NOT_JSON: 'not-json',
  /** JSON, but no message type this venue's mapper knows (an unknown `e`, channel or `type`). */
  UNKNOWN_MESSAGE: 'unknown-message',
  /** A field the message type requires is absent. */
  MISSING_FIELD: 'missing-field',
  /** A field is present but its value is impossible: wrong type, not exact decimal text, NaN, negative time. */
  BAD_VALUE: 'bad-value',
  /** A REST body whose `source` (request path) names no endpoint the mapper knows. */
  UNKNOWN_SOURCE: 'unknown-source',
} as const;
export type FrameErrorCode = (typeof FrameErrorCodes)[keyof typeof FrameErrorCodes];

// Long enough to recognise the frame in a log, short enough that a 1 MB snapshot does not flood it.
const FRAME_EXCERPT_CHARS = 200;

/** The first characters of a frame, for error messages. */
export function excerpt(text: string): string {
  return text.length <= FRAME_EXCERPT_CHARS ? text : `${text.slice(0, FRAME_EXCERPT_CHARS)}...`;
}

/**
 * A frame the mapper cannot turn into events. Never retriable: the same bytes fail the same way,
 * so the parser sends the frame to the DLQ with `code` and the message as the reason.
 */
export class FrameError extends Error {
  readonly code: FrameErrorCode;
  readonly canRetry = false;
  /** The JSON path of the failing field (`data.p`, `changes[3][1]`), when the error is about one. */
  readonly field: string | undefined;

  constructor(code: FrameErrorCode, message: string, frameText: string, field?: string) {
    super(`${message}; frame: ${excerpt(frameText)}`);
    this.name = 'FrameError';
    this.code = code;
    this.field = field;
  }
}

export const CaptureErrorCodes = {
  /** A line matches no line format of the file's recorder. */
  BAD_LINE: 'bad-line',
  /** The first data line is in no recorder format this reader knows. */
  UNKNOWN_FORMAT: 'unknown-format',
  /** A line's data is readable but contradicts the format (a REST snapshot whose symbol cannot be told). */
  BAD_FRAME: 'bad-frame',
  /** The file cannot be opened or read, or its gzip stream is corrupt or cut short. */
  UNREADABLE: 'unreadable',
  /** The frames are from a venue StreamForge has no mapper for (Binance US), or from none it can tell. */
  UNSUPPORTED_VENUE: 'unsupported-venue',
} as const;
export type CaptureErrorCode = (typeof CaptureErrorCodes)[keyof typeof CaptureErrorCodes];

/** A capture file that cannot be read as recorded frames; the message starts with `file:line`. */
export class CaptureError extends Error {
  readonly code: CaptureErrorCode;
  readonly file: string;
  /** 1-based line number, or undefined when the error is about the file as a whole. */
  readonly line: number | undefined;

  constructor(
    code: CaptureErrorCode,
    file: string,
    line: number | undefined,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(`${line === undefined ? file : `${file}:${line}`}: ${message}`, options);
    this.name = 'CaptureError';
    this.code = code;
    this.file = file;
    this.line = line;
  }
}
