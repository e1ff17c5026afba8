// Reads a capture file line by line, gunzipping it when its first bytes say gzip, whatever its name.

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CaptureError, CaptureErrorCodes } from '../errors.ts';

const GZIP_MAGIC = [0x1f, 0x8b] as const;

async function isGzip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}

/** One line of text (without its `\n` or `\r\n`) and its 1-based number. */
export interface NumberedLine {
  readonly text: string;
  readonly number: number;
}

/** Streams the lines, so a capture of any size is read in constant memory. */
export async function* readLines(file: string): AsyncGenerator<NumberedLine> {
  let number = 0;
  try {
    yield* lines(file, (n) => (number = n));
  } catch (error) {
    if (error instanceof CaptureError) throw error;
    // The line after the last one read is where reading broke (a cut-short gzip, a vanished file).
    const line = number === 0 ? undefined : number + 1;
    throw new CaptureError(CaptureErrorCodes.UNREADABLE, file, line, (error as Error).message, {
      cause: error,
    });
  }
}

async function* lines(file: string, progress: (n: number) => void): AsyncGenerator<NumberedLine> {
  const gzip = await isGzip(file);
  const raw = createReadStream(file);
  const input: Readable = gzip ? raw.pipe(createGunzip()) : raw;
  // A gunzip failure is reported on the gunzip stream, which readline does not watch.
  if (gzip) raw.on('error', (error) => input.destroy(error));
  const lines = createInterface({ input, crlfDelay: Infinity });
  let number = 0;
  try {
    for await (const text of lines) {
      number += 1;
      progress(number);
      yield { text, number };
    }
  } finally {
    lines.close();
    input.destroy();
    raw.destroy();
  }
}
