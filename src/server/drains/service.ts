import type { Logger } from '../deploy/context.js';
import type { LogIndexer } from '../logstore/indexer.js';
import type { Db } from '../store/database.js';
import { DrainRepository, type LogDrain } from '../store/drains.js';
import type { EventRepository } from '../store/events.js';
import type { SecretBox } from '../../shared/secrets/secret-box.js';
import type { DrainRecord, NameLookup } from './record.js';
import { senderFor, type DrainSender, type SendResult } from './senders.js';
import { DEFAULT_SHIPPER_OPTIONS, DrainRunner, scrubSecrets, type ShipperOptions } from './shipper.js';
import { DrainSource } from './source.js';

export interface DrainServiceDeps {
  db: Db;
  box: SecretBox;
  events: EventRepository;
  logIndex: LogIndexer;
  logger: Logger;
  options?: Partial<ShipperOptions>;
  /** Seam for tests; by default the drain's transport. */
  senderFor?: (drain: LogDrain) => DrainSender;
}

/**
 * Every log drain's delivery loop, woken when the log index commits lines. The API calls
 * `sync()` after adding or deleting a drain; `stop()` ends the loops (what was not delivered
 * is sent after the next start: the cursors are in the state database).
 */
export class DrainService {
  readonly drains: DrainRepository;
  private readonly source: DrainSource;
  private readonly runners = new Map<string, DrainRunner>();
  private readonly options: ShipperOptions;
  private unsubscribe: (() => void) | null = null;
  private resync: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly deps: DrainServiceDeps) {
    this.drains = new DrainRepository(deps.db, deps.box);
    this.source = new DrainSource(deps.logIndex);
    this.options = { ...DEFAULT_SHIPPER_OPTIONS, ...deps.options };
  }

  start(): this {
    this.unsubscribe = this.source.onLines(() => {
      for (const runner of this.runners.values()) runner.wake();
    });
    this.sync();
    // Drains removed with their project, environment or service (ON DELETE CASCADE) stop here.
    this.resync = setInterval(() => {
      try {
        this.sync();
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'log drains: could not list drains');
      }
    }, 10_000).unref();
    return this;
  }

  /** Where a new drain starts: after the newest line (drains forward what comes next). */
  startCursor(): number {
    return this.source.open ? this.source.lastId() : 0;
  }

  /** Starts loops for new drains and stops those of deleted ones. */
  sync(): void {
    if (this.stopped) return;
    const current = new Map(this.drains.list().map((d) => [d.id, d]));
    for (const [id, runner] of this.runners) {
      if (!current.has(id)) {
        this.runners.delete(id);
        void runner.stop();
      }
    }
    for (const [id, drain] of current) {
      if (this.runners.has(id)) continue;
      const runner = new DrainRunner(drain, {
        source: this.source,
        drains: this.drains,
        events: this.deps.events,
        logger: this.deps.logger,
        sender: this.senderOf(drain),
        names: () => this.names(),
        options: this.options,
      });
      this.runners.set(id, runner.start());
    }
  }

  /** Sends one test line through the drain now (one attempt); the error holds no secret. */
  async test(drain: LogDrain): Promise<SendResult> {
    const names = this.names();
    const t = Date.now();
    const record: DrainRecord = {
      id: null,
      timestamp: new Date(t).toISOString(),
      t,
      project: names.project(drain.projectId),
      environment: drain.environmentId ? names.environment(drain.environmentId) : '-',
      service: drain.serviceId ? names.service(drain.serviceId) : 'wharf',
      deployment: null,
      replica: null,
      source: 'drain',
      stream: 'sys',
      level: 'info',
      message: `Test line from Wharf: log drain ${drain.id} works`,
      fields: { test: true, drain: drain.id },
    };
    const sender = this.senderOf(drain);
    try {
      const result = await sender.send([record]);
      return { ...result, error: result.error === null ? null : scrubSecrets(drain.target, result.error) };
    } finally {
      sender.close();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resync) clearInterval(this.resync);
    this.unsubscribe?.();
    const runners = [...this.runners.values()];
    this.runners.clear();
    await Promise.all(runners.map((r) => r.stop()));
  }

  private senderOf(drain: LogDrain): DrainSender {
    return this.deps.senderFor ? this.deps.senderFor(drain) : senderFor(drain.target);
  }

  /** Names by id, looked up once per batch (environments can be renamed). */
  private names(): NameLookup {
    const db = this.deps.db;
    const memo = new Map<string, string>();
    const lookup = (table: 'projects' | 'environments' | 'services') => (id: string) => {
      const key = `${table}:${id}`;
      let name = memo.get(key);
      if (name === undefined) {
        name = ((db.prepare(`SELECT name FROM ${table} WHERE id = ?`).pluck().get(id) as string | undefined) ?? id);
        memo.set(key, name);
      }
      return name;
    };
    return { project: lookup('projects'), environment: lookup('environments'), service: lookup('services') };
  }
}
