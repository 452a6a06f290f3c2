import type { DrainTarget } from '../../core/drains.js';
import type { Logger } from '../deploy/context.js';
import type { IndexedLine } from '../logstore/indexer.js';
import type { DrainRepository, LogDrain } from '../store/drains.js';
import type { EventRepository } from '../store/events.js';
import type { DrainRecord, NameLookup } from './record.js';
import { toDrainRecord } from './record.js';
import type { DrainSender, SendResult } from './senders.js';
import type { DrainScope, DrainSource } from './source.js';

// One drain's delivery loop: read the drain's next lines from the log index after its cursor,
// wait up to `flushMs` for a batch to fill (at most `batchLines`), send, and on success move the
// cursor (saved with the counters). On failure: keep the cursor, wait (exponential backoff) and
// send again. When more than `maxBacklog` lines wait, the oldest are skipped and counted; the
// next batch that arrives starts with a "N log lines dropped" line. Nothing here runs on the
// apps' path or the index's: a dead receiver only makes its own drain fall behind.

export interface ShipperOptions {
  batchLines: number;
  flushMs: number;
  maxBacklog: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How often an idle drain looks for lines when the index has not woken it. */
  pollMs: number;
  /** Attempts at a batch the receiver refuses (a 4xx) before its lines are dropped. */
  refusedAttempts: number;
  /** A batch stops before this many bytes of messages and fields (it always holds one line). */
  batchBytes: number;
}

export const DEFAULT_SHIPPER_OPTIONS: ShipperOptions = {
  batchLines: 500,
  flushMs: 1_000,
  maxBacklog: 100_000,
  retryBaseMs: 1_000,
  retryMaxMs: 60_000,
  pollMs: 2_000,
  refusedAttempts: 3,
  batchBytes: 4 * 1024 * 1024,
};

/** The first lines that fit in `maxBytes` (at least one); `cut` when some were left for the next batch. */
export function fitBytes(lines: IndexedLine[], maxBytes: number): IndexedLine[] & { cut?: boolean } {
  let bytes = 0;
  for (let i = 0; i < lines.length; i++) {
    bytes += lines[i]!.message.length + (lines[i]!.fields?.length ?? 0) + 200;
    if (bytes > maxBytes && i > 0) return Object.assign(lines.slice(0, i), { cut: true });
  }
  return lines;
}

/** Failures in a row after which a drain.failing event is emitted (and drain.recovered later). */
export const FAILING_AFTER = 3;

function envNumber(value: string | undefined, min: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= min ? n : undefined;
}

/** WHARF_DRAIN_BATCH_LINES, _FLUSH_MS, _MAX_BACKLOG, _RETRY_BASE_MS, _RETRY_MAX_MS. */
export function shipperOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<ShipperOptions> {
  const options: Partial<ShipperOptions> = {
    batchLines: envNumber(env.WHARF_DRAIN_BATCH_LINES, 1),
    flushMs: envNumber(env.WHARF_DRAIN_FLUSH_MS, 0),
    maxBacklog: envNumber(env.WHARF_DRAIN_MAX_BACKLOG, 1),
    retryBaseMs: envNumber(env.WHARF_DRAIN_RETRY_BASE_MS, 1),
    retryMaxMs: envNumber(env.WHARF_DRAIN_RETRY_MAX_MS, 1),
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

export function backoffMs(options: Pick<ShipperOptions, 'retryBaseMs' | 'retryMaxMs'>, failures: number): number {
  return Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
}

/** Replaces every secret of a target (header values, token, URL user and password) in a text. */
export function scrubSecrets(target: DrainTarget, text: string): string {
  const secrets = [...Object.values(target.headers), target.token ?? ''];
  try {
    const url = new URL(target.url);
    secrets.push(decodeURIComponent(url.password), url.password, decodeURIComponent(url.username), url.username, ...[...url.searchParams.values()]);
  } catch {
    /* validated when the drain was made */
  }
  let out = text;
  for (const secret of secrets.filter((s) => s.length >= 3).sort((a, b) => b.length - a.length)) out = out.split(secret).join('***');
  return out.slice(0, 500);
}

export interface DrainRunnerDeps {
  source: DrainSource;
  drains: DrainRepository;
  events: EventRepository;
  logger: Logger;
  sender: DrainSender;
  /** Names of projects, environments and services by id (fresh for every batch). */
  names(): NameLookup;
  options: ShipperOptions;
}

export class DrainRunner {
  private stopped = false;
  private wakeIdle: (() => void) | null = null;
  private wakeAny: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private readonly scope: DrainScope;

  constructor(
    readonly drain: LogDrain,
    private readonly deps: DrainRunnerDeps,
  ) {
    this.scope = { projectId: drain.projectId, environmentId: drain.environmentId, serviceId: drain.serviceId };
  }

  start(): this {
    this.loop ??= this.supervise();
    return this;
  }

  /** New lines are in the index: an idle drain looks now (a drain waiting to retry does not). */
  wake(): void {
    this.wakeIdle?.();
  }

  /** Ends the loop; a send in flight gets `graceMs` to finish (its batch is sent again after a restart if not). */
  async stop(graceMs = 3_000): Promise<void> {
    this.stopped = true;
    this.wakeAny?.();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.loop, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    this.deps.sender.close();
  }

  private sleep(ms: number, wakeOnLines: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeIdle = null;
        this.wakeAny = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeAny = done;
      if (wakeOnLines) this.wakeIdle = done;
    });
  }

  private marker(lines: number): DrainRecord {
    const names = this.deps.names();
    const t = Date.now();
    return {
      id: null,
      timestamp: new Date(t).toISOString(),
      t,
      project: names.project(this.drain.projectId),
      environment: this.drain.environmentId ? names.environment(this.drain.environmentId) : '-',
      service: this.drain.serviceId ? names.service(this.drain.serviceId) : '-',
      deployment: null,
      replica: null,
      source: 'drain',
      stream: 'sys',
      level: 'warn',
      message: `${lines} log line${lines === 1 ? '' : 's'} dropped before reaching this drain (it fell more than ${this.deps.options.maxBacklog} lines behind, or the receiver refused them)`,
      fields: { dropped: lines },
    };
  }

  /** Runs the loop; an unexpected error (a busy database …) restarts it from the saved state. */
  private async supervise(): Promise<void> {
    let drain: LogDrain | null = this.drain;
    while (drain && !this.stopped) {
      try {
        await this.run(drain);
        return;
      } catch (error) {
        // After stop() the state database may be closed under a send that outlived its grace.
        if (this.stopped) return;
        this.deps.logger.error({ err: error, drainId: this.drain.id }, 'log drain loop failed; starting it again');
        await this.sleep(this.deps.options.retryBaseMs * 5, false);
        try {
          drain = this.deps.drains.get(this.drain.id);
        } catch {
          drain = null;
        }
      }
    }
  }

  private async run(drain: LogDrain): Promise<void> {
    const { source, drains, options, logger } = this.deps;
    const id = drain.id;
    let cursor = drain.cursor;
    let unreported = drain.droppedUnreported;
    let failures = drain.failures;
    let refused = 0;
    let firstSeenAt: number | null = null;
    if (!source.open) return;
    if (cursor > source.lastId()) {
      // The log index was emptied or replaced: its ids started over.
      cursor = source.lastId();
      drains.resetCursor(id, cursor);
    }
    while (!this.stopped && source.open) {
      const over = source.overflow(this.scope, cursor, options.maxBacklog);
      if (over) {
        drains.dropped(id, { cursor: over.skipTo, lines: over.lines });
        cursor = over.skipTo;
        unreported += over.lines;
        logger.warn({ drainId: id, dropped: over.lines }, 'log drain fell behind: oldest lines dropped');
      }
      const lines = fitBytes(source.after(this.scope, cursor, options.batchLines), options.batchBytes);
      if (lines.length === 0 && unreported === 0) {
        firstSeenAt = null;
        await this.sleep(options.pollMs, true);
        continue;
      }
      if (lines.length < options.batchLines && !lines.cut) {
        firstSeenAt ??= Date.now();
        const wait = firstSeenAt + options.flushMs - Date.now();
        if (wait > 0) {
          await this.sleep(wait, false);
          continue;
        }
      }
      const names = this.deps.names();
      const records = lines.map((line) => toDrainRecord(line, names));
      const reported = unreported;
      if (reported > 0) records.unshift(this.marker(reported));
      let result: SendResult;
      try {
        result = await this.deps.sender.send(records);
      } catch (error) {
        result = { ok: false, statusCode: null, durationMs: 0, error: (error as Error).message, retryable: true };
      }
      const last = lines.length > 0 ? lines[lines.length - 1]!.id : cursor;
      if (result.ok) {
        drains.delivered(id, { cursor: last, lines: lines.length, reportedDropped: reported });
        cursor = last;
        unreported -= reported;
        firstSeenAt = null;
        refused = 0;
        if (failures >= FAILING_AFTER) this.emit('drain.recovered', 'info', `log drain ${this.drain.url} recovered`, {});
        failures = 0;
        continue;
      }
      const error = scrubSecrets(this.drain.target, result.error ?? 'failed');
      drains.failed(id, error);
      failures++;
      if (failures === FAILING_AFTER) this.emit('drain.failing', 'warning', `log drain ${this.drain.url} is failing: ${error}`, { error });
      if (!result.retryable && ++refused >= options.refusedAttempts && lines.length > 0) {
        drains.dropped(id, { cursor: last, lines: lines.length });
        cursor = last;
        unreported += lines.length;
        refused = 0;
      }
      if (this.stopped) return;
      await this.sleep(backoffMs(options, failures), false);
    }
  }

  private emit(kind: string, severity: 'info' | 'warning', message: string, data: Record<string, unknown>): void {
    try {
      this.deps.events.emit({
        kind,
        severity,
        message,
        projectId: this.drain.projectId,
        environmentId: this.drain.environmentId,
        serviceId: this.drain.serviceId,
        data: { drainId: this.drain.id, url: this.drain.url, ...data },
      });
    } catch (error) {
      this.deps.logger.warn({ err: error, drainId: this.drain.id }, 'log drain event not recorded');
    }
  }
}
