import { createWriteStream, openSync, type WriteStream } from 'node:fs';

/**
 * An append stream (0600) for a log the router rotates by renaming. The file is opened here, not
 * by the stream (which opens it later, asynchronously): a rotation soon after a (re)start would
 * otherwise rename the file before the old stream opened it, and both streams would append to
 * the new file, out of order. A failing disk must not take the proxy down: errors are swallowed,
 * the lines are lost, the requests are not.
 */
export function openAppendStream(file: string): WriteStream {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'a', 0o600);
  } catch {
    /* the stream tries again and reports to its (silent) error handler */
  }
  const stream = fd === undefined ? createWriteStream(file, { flags: 'a', mode: 0o600 }) : createWriteStream('', { fd });
  stream.on('error', () => undefined);
  return stream;
}
