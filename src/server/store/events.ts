import type { Db } from './database.js';
import { now } from './ids.js';

export type EventSeverity = 'info' | 'warning' | 'error';

export interface WharfEvent {
  id: number;
  projectId: string | null;
  environmentId: string | null;
  serviceId: string | null;
  deploymentId: string | null;
  /** e.g. deployment.failed, service.unhealthy, service.crashed, service.oom, service.exited, cron.failed, cron.missed */
  kind: string;
  severity: EventSeverity;
  message: string;
  data: Record<string, unknown>;
  at: string;
}

export type NewEvent = Omit<WharfEvent, 'id' | 'at' | 'projectId' | 'environmentId' | 'serviceId' | 'deploymentId' | 'data'> &
  Partial<Pick<WharfEvent, 'projectId' | 'environmentId' | 'serviceId' | 'deploymentId' | 'data'>>;

interface Row {
  id: number; project_id: string | null; environment_id: string | null; service_id: string | null; deployment_id: string | null;
  kind: string; severity: string; message: string; data: string; at: string;
}

const toEvent = (r: Row): WharfEvent => ({
  id: r.id, projectId: r.project_id, environmentId: r.environment_id, serviceId: r.service_id, deploymentId: r.deployment_id,
  kind: r.kind, severity: r.severity as EventSeverity, message: r.message, data: JSON.parse(r.data) as Record<string, unknown>, at: r.at,
});

/** What happened, newest last: the record that alerts and webhooks will read. */
export class EventRepository {
  private readonly listeners = new Set<(event: WharfEvent) => void>();

  constructor(private readonly db: Db) {}

  emit(input: NewEvent): WharfEvent {
    const at = now();
    const info = this.db.prepare(`INSERT INTO events (project_id, environment_id, service_id, deployment_id, kind, severity, message, data, at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(input.projectId ?? null, input.environmentId ?? null, input.serviceId ?? null, input.deploymentId ?? null,
      input.kind, input.severity, input.message, JSON.stringify(input.data ?? {}), at);
    const event = this.get(Number(info.lastInsertRowid));
    for (const listener of this.listeners) listener(event);
    return event;
  }

  get(id: number): WharfEvent {
    return toEvent(this.db.prepare('SELECT * FROM events WHERE id = ?').get(id) as Row);
  }

  list(filter: { projectId?: string; afterId?: number; limit?: number; kind?: string }): WharfEvent[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.projectId) (where.push('project_id = ?'), args.push(filter.projectId));
    if (filter.afterId !== undefined) (where.push('id > ?'), args.push(filter.afterId));
    if (filter.kind) (where.push('kind LIKE ?'), args.push(`${filter.kind}%`));
    const sql = `SELECT * FROM (SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?) ORDER BY id`;
    return (this.db.prepare(sql).all(...args, filter.limit ?? 200) as Row[]).map(toEvent);
  }

  /** In-process subscribers (SSE streams, notifiers); they must not throw. */
  subscribe(listener: (event: WharfEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
