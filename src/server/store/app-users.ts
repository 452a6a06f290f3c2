import type { Db } from './database.js';
import { now } from './ids.js';

/** Which slot of the app uid range each service instance owns (src/server/isolation/app-users.ts). */
export class AppUserRepository {
  constructor(private readonly db: Db) {}

  slotOf(instanceId: string): number | null {
    const row = this.db.prepare('SELECT slot FROM app_users WHERE instance_id = ?').get(instanceId) as { slot: number } | undefined;
    return row?.slot ?? null;
  }

  /** The instance's slot, allocated on first use: the next never used one, below `count`. */
  allocate(instanceId: string, count: number): number | null {
    return this.db.transaction(() => {
      const existing = this.slotOf(instanceId);
      if (existing !== null) return existing;
      const { next } = this.db.prepare('SELECT COALESCE(MAX(slot) + 1, 0) AS next FROM app_users').get() as { next: number };
      if (next >= count) return null;
      this.db.prepare('INSERT INTO app_users (instance_id, slot, created_at) VALUES (?, ?, ?)').run(instanceId, next, now());
      return next;
    })();
  }
}
