import type net from 'node:net';

// What a connection writes in one tick (a response's head, its body, the chunked terminator,
// the next pipelined response …) goes out as one socket write: one syscall and one packet for
// a small response, where a write per piece costs a syscall each and corking costs a writev.
// Backpressure is the socket's: once a write to it returns false, every write here returns
// false until its 'drain'.

const COPY_LIMIT = 16 * 1024;

export class Output {
  private pieces: Array<Buffer | string> = [];
  private bytes = 0;
  private scheduled = false;
  private blocked = false;

  constructor(private readonly socket: net.Socket) {}

  /** A latin1 (or ASCII) string: response heads and chunk framing. */
  text(s: string): boolean {
    return this.add(s, s.length);
  }

  bytesOf(b: Buffer): boolean {
    return this.add(b, b.length);
  }

  /** The socket drained: writes may go on. */
  drained(): void {
    this.blocked = false;
  }

  /** Writes what is pending now (before the socket is ended or handed over). */
  flush(): boolean {
    const pieces = this.pieces;
    const total = this.bytes;
    if (pieces.length === 0) return !this.blocked;
    this.pieces = [];
    this.bytes = 0;
    const socket = this.socket;
    if (socket.destroyed) return true;
    let ok: boolean;
    if (pieces.length === 1) {
      const only = pieces[0]!;
      ok = typeof only === 'string' ? socket.write(only, 'latin1') : socket.write(only);
    } else if (total <= COPY_LIMIT) {
      const buf = Buffer.allocUnsafe(total);
      let at = 0;
      for (const p of pieces) {
        if (typeof p === 'string') at += buf.write(p, at, 'latin1');
        else {
          buf.set(p, at);
          at += p.length;
        }
      }
      ok = socket.write(buf);
    } else {
      // Big bodies are not copied: one writev of the pieces.
      socket.cork();
      ok = true;
      for (const p of pieces) ok = typeof p === 'string' ? socket.write(p, 'latin1') : socket.write(p);
      socket.uncork();
    }
    if (!ok) this.blocked = true;
    return ok;
  }

  private add(piece: Buffer | string, length: number): boolean {
    if (length === 0) return !this.blocked;
    this.pieces.push(piece);
    this.bytes += length;
    if (this.bytes >= COPY_LIMIT) return this.flush();
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(flushLater, this);
    }
    return !this.blocked;
  }

  /** @internal */
  tick(): void {
    this.scheduled = false;
    this.flush();
  }
}

function flushLater(output: Output): void {
  output.tick();
}
