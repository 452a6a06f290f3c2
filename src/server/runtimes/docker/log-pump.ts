import type Dockerode from 'dockerode';
import { setTimeout as sleep } from 'node:timers/promises';
import { FrameParser, isoOf, nsOf, sinceParam } from './log-frames.js';
import type { OrderedLogFile } from './log-file.js';

// Follows one container's log in the engine (its json-file log keeps every run, also the ones
// while no control plane was up) and appends it to the replica's log file, resuming after the
// last timestamp written. A follow ends when the container's run ends; the pump then lets the
// runtime look at what happened (sys lines for restarts and ends) and follows again while the
// container has runs to come.

export interface LogPumpOptions {
  container: Dockerode.Container;
  log: OrderedLogFile;
  /** The engine timestamp of the last line already written, or null from the start. */
  cursor: string | null;
  saveCursor(ts: string): void;
  /**
   * After each follow ends: 'again' while the container runs or restarts, 'stop' once it is
   * done or gone. `drain` reads what the engine still has, so an end's sys lines come after the
   * run's last lines.
   */
  afterRun(drain: () => Promise<void>): Promise<'again' | 'stop'>;
  /** Each line as written (jobs stream them to the CLI). */
  onLine?: (message: string, stream: 'out' | 'err') => void;
}

export class LogPump {
  private stopped = false;
  private current: NodeJS.ReadableStream | null = null;
  private cursorNs: bigint | null;
  readonly done: Promise<void>;

  constructor(private readonly options: LogPumpOptions) {
    this.cursorNs = options.cursor ? nsOf(options.cursor) : null;
    this.done = this.loop().catch((err: unknown) => {
      if (!this.stopped) options.log.sys(`log collection stopped: ${(err as Error).message}`);
    });
  }

  /** Stops following (the engine keeps the log; a later pump resumes from the cursor). */
  async stop(): Promise<void> {
    this.stopped = true;
    const stream = this.current as (NodeJS.ReadableStream & { destroy?: () => void }) | null;
    stream?.destroy?.();
    await this.done;
  }

  private async loop(): Promise<void> {
    let idle = 0;
    while (!this.stopped) {
      const got = await this.followOnce();
      if (this.stopped) return;
      const drain = async () => {
        if (!this.stopped) await this.followOnce(false);
      };
      if ((await this.options.afterRun(drain)) === 'stop') return;
      // A container waiting out its restart back-off has nothing to follow yet: look again soon.
      idle = got ? 0 : Math.min(idle + 1, 8);
      await sleep(50 * idle);
    }
  }

  /** One follow (or one plain read); true when it wrote anything. */
  private async followOnce(follow = true): Promise<boolean> {
    const { container, log, saveCursor, onLine } = this.options;
    const since = this.options.cursor ? sinceParam(this.options.cursor) : undefined;
    const opts = { follow, stdout: true, stderr: true, timestamps: true, ...(since ? { since } : {}) };
    let stream: NodeJS.ReadableStream;
    try {
      const result = (await container.logs(opts as Parameters<Dockerode.Container['logs']>[0])) as unknown;
      if (Buffer.isBuffer(result)) {
        return this.take(new FrameParser().push(result), log, saveCursor, onLine);
      }
      stream = result as NodeJS.ReadableStream;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return false;
      throw err;
    }
    this.current = stream;
    const parser = new FrameParser();
    let wrote = false;
    await new Promise<void>((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        if (this.take(parser.push(chunk), log, saveCursor, onLine)) wrote = true;
      });
      stream.once('end', () => resolve());
      stream.once('close', () => resolve());
      stream.once('error', () => resolve());
    });
    this.current = null;
    return wrote;
  }

  private take(lines: ReturnType<FrameParser['push']>, log: OrderedLogFile, saveCursor: (ts: string) => void, onLine: LogPumpOptions['onLine']): boolean {
    const fresh = lines.filter((l) => {
      const ns = nsOf(l.ts);
      // `since` includes the cursor's own line: skip what is already in the file.
      if (ns === null || this.cursorNs === null) return true;
      return ns > this.cursorNs;
    });
    if (fresh.length === 0) return false;
    log.write(fresh.map((l) => ({ stream: l.stream, message: l.message, iso: isoOf(l.ts) })));
    for (const l of fresh) onLine?.(log.redact(l.message), l.stream);
    const last = fresh[fresh.length - 1]!.ts;
    const lastNs = nsOf(last);
    if (lastNs !== null) {
      this.cursorNs = lastNs;
      this.options.cursor = last;
      saveCursor(last);
    }
    return true;
  }
}
