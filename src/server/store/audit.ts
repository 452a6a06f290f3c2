import type { Db } from './database.js';
import { now } from './ids.js';

export interface AuditEntry {
  id: number;
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
  at: string;
}

/** Who did what on whose behalf: one-off commands, key rotations … Append only. */
export class AuditRepository {
  constructor(private readonly db: Db) {}

  record(actor: string, action: string, target: string, detail: Record<string, unknown> = {}): void {
    this.db.prepare('INSERT INTO audit_log (actor, action, target, detail, at) VALUES (?, ?, ?, ?, ?)').run(actor, action, target, JSON.stringify(detail), now());
  }

  list(limit = 100): AuditEntry[] {
    const rows = this.db.prepare('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?').all(limit) as Array<{ id: number; actor: string; action: string; target: string; detail: string; at: string }>;
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }
}
