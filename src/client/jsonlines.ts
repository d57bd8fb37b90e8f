// Watch streams are newline-delimited JSON: one event object per line, lines
// split arbitrarily across chunks. Shared by the HTTP client and the tests.
import type { Readable } from 'node:stream';

/** Calls `onObject` with each complete JSON line of `stream`, in order. */
export function onJsonLines(stream: Readable, onObject: (o: any) => void): void {
  let buf = '';
  stream.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.trim()) onObject(JSON.parse(line));
    }
  });
}
