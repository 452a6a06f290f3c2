import type { Db } from './database.js';
import { now } from './ids.js';

/** A service's own variables in one environment (references and secrets come later). */
export class VariableRepository {
  constructor(private readonly db: Db) {}

  forInstance(instanceId: string): Record<string, string> {
    const rows = this.db.prepare('SELECT key, value FROM variables WHERE instance_id = ? ORDER BY key').all(instanceId) as Array<{ key: string; value: string }>;
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  set(instanceId: string, values: Record<string, string>): void {
    this.db.transaction(() => {
      const stmt = this.db.prepare(`INSERT INTO variables (instance_id, key, value, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (instance_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);
      for (const [key, value] of Object.entries(values)) stmt.run(instanceId, key, value, now());
    }).immediate();
  }

  delete(instanceId: string, key: string): boolean {
    return this.db.prepare('DELETE FROM variables WHERE instance_id = ? AND key = ?').run(instanceId, key).changes > 0;
  }
}
