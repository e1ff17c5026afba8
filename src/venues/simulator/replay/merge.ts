// Merges the frames of several captures into one sequence in receive-time order (a k-way merge of the files).

import { type CaptureFrame, readCapture } from '../../capture/index.ts';

const nanos = (f: CaptureFrame): bigint => f.receivedAtNs ?? BigInt(f.receivedAt) * 1_000_000n;

/**
 * Frames of all `files` by receive time; ties keep the order of the file list, and frames within
 * one file keep their file order even where the recorder's clock stepped back.
 */
export async function* mergeCaptures(files: readonly string[]): AsyncGenerator<CaptureFrame> {
  const readers = files.map((f) => readCapture(f));
  const heads: (CaptureFrame | undefined)[] = [];
  for (const r of readers) heads.push((await r.next()).value ?? undefined);
  while (true) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h && (best < 0 || nanos(h) < nanos(heads[best]!))) best = i;
    }
    if (best < 0) return;
    yield heads[best]!;
    const next = await readers[best]!.next();
    heads[best] = next.done ? undefined : next.value;
  }
}
