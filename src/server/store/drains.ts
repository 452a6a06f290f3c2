import { randomBytes } from 'node:crypto';
import type { DrainTarget, DrainTransport } from '../../core/drains.js';
import type { Db } from './database.js';
import { now } from './ids.js';
import type { SecretBox } from '../../shared/secrets/secret-box.js';

// Log drains and their delivery state. Where a drain sends (URL, headers, token) is encrypted at
// rest as one blob; `url` is the redacted URL made when the drain was created. The cursor is
// the id of the last log line (in logs.db) delivered or skipped: it is saved after every batch
// that arrived, so a restarted control plane goes on from there (at least once, no gap).

export interface LogDrain {
  id: string;
  projectId: string;
  /** null: every environment. */
  environmentId: string | null;
  /** null: every service. */
  serviceId: string | null;
  transport: DrainTransport;
  /** Redacted: no user, password or query values. */
  url: string;
  headerNames: string[];
  target: DrainTarget;
  createdAt: string;
  cursor: number;
  linesSent: number;
  linesDropped: number;
  /** Dropped lines the drain has not yet been told about. */
  droppedUnreported: number;
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  failingSince: string | null;
  /** Attempts that failed in a row. */
  failures: number;
}

export type NewLogDrain = Pick<LogDrain, 'projectId' | 'environmentId' | 'serviceId' | 'target' | 'url' | 'cursor'>;

interface Row {
  id: string; project_id: string; environment_id: string | null; service_id: string | null; transport: string; url: string; header_names: string;
  target: string; created_at: string; cursor: number; lines_sent: number; lines_dropped: number; dropped_unreported: number;
  last_success_at: string | null; last_error: string | null; last_error_at: string | null; failing_since: string | null; failures: number;
}

export function newDrainId(): string {
  return `drn_${randomBytes(8).toString('hex')}`;
}

export class DrainRepository {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  create(input: NewLogDrain): LogDrain {
    const id = newDrainId();
    const createdAt = now();
    const headerNames = Object.keys(input.target.headers);
    this.db.prepare(`INSERT INTO log_drains (id, project_id, environment_id, service_id, transport, url, header_names, target, created_at, cursor)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(id, input.projectId, input.environmentId, input.serviceId, input.target.transport, input.url,
      JSON.stringify(headerNames), this.box.encrypt(JSON.stringify(input.target)), createdAt, input.cursor);
    return this.get(id)!;
  }

  get(id: string): LogDrain | null {
    const row = this.db.prepare('SELECT * FROM log_drains WHERE id = ?').get(id) as Row | undefined;
    return row ? this.toDrain(row) : null;
  }

  list(filter: { projectId?: string } = {}): LogDrain[] {
    const rows = (filter.projectId
      ? this.db.prepare('SELECT * FROM log_drains WHERE project_id = ? ORDER BY created_at, id').all(filter.projectId)
      : this.db.prepare('SELECT * FROM log_drains ORDER BY created_at, id').all()) as Row[];
    return rows.map((r) => this.toDrain(r));
  }

  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM log_drains WHERE id = ?').run(id).changes > 0;
  }

  /** A batch arrived: the cursor moves past it, dropped lines it announced are no longer unreported. */
  delivered(id: string, update: { cursor: number; lines: number; reportedDropped: number }): void {
    this.db.prepare(`UPDATE log_drains SET cursor = max(cursor, ?), lines_sent = lines_sent + ?, dropped_unreported = max(0, dropped_unreported - ?),
      last_success_at = ?, failing_since = NULL, failures = 0 WHERE id = ?`).run(update.cursor, update.lines, update.reportedDropped, now(), id);
  }

  /** An attempt failed; `error` must hold no secret. */
  failed(id: string, error: string): void {
    const at = now();
    this.db.prepare(`UPDATE log_drains SET last_error = ?, last_error_at = ?, failing_since = coalesce(failing_since, ?), failures = failures + 1 WHERE id = ?`)
      .run(error, at, at, id);
  }

  /** Lines skipped without being delivered (the drain fell behind, or they were refused): counted, and announced later. */
  dropped(id: string, update: { cursor: number; lines: number }): void {
    this.db.prepare('UPDATE log_drains SET cursor = max(cursor, ?), lines_dropped = lines_dropped + ?, dropped_unreported = dropped_unreported + ? WHERE id = ?')
      .run(update.cursor, update.lines, update.lines, id);
  }

  /** Moves the cursor back when the log index was emptied or replaced (its ids start over). */
  resetCursor(id: string, cursor: number): void {
    this.db.prepare('UPDATE log_drains SET cursor = ? WHERE id = ?').run(cursor, id);
  }

  private toDrain(r: Row): LogDrain {
    return {
      id: r.id, projectId: r.project_id, environmentId: r.environment_id, serviceId: r.service_id, transport: r.transport as DrainTransport, url: r.url,
      headerNames: JSON.parse(r.header_names) as string[], target: JSON.parse(this.box.decrypt(r.target)) as DrainTarget, createdAt: r.created_at,
      cursor: r.cursor, linesSent: r.lines_sent, linesDropped: r.lines_dropped, droppedUnreported: r.dropped_unreported, lastSuccessAt: r.last_success_at,
      lastError: r.last_error, lastErrorAt: r.last_error_at, failingSince: r.failing_since, failures: r.failures,
    };
  }
}
