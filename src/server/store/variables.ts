import type { Db } from './database.js';
import { now } from './ids.js';
import type { SecretBox } from '../../shared/secrets/secret-box.js';

/** `service_id` of shared variables (`${{shared.KEY}}`). */
export const SHARED = '';

export interface StoredVariable {
  key: string;
  /** Raw value as set (may hold references), decrypted. */
  value: string;
  secret: boolean;
  /** Usable by deployments, never shown again; sealing cannot be undone. */
  sealed: boolean;
  updatedAt: string;
}

export interface VariableInput {
  key: string;
  value: string;
  secret?: boolean;
  sealed?: boolean;
}

interface Row { service_id: string; key: string; value: string; secret: number; sealed: number; updated_at: string }

/**
 * Service and shared variables per environment. Every value is encrypted at rest; the flags
 * decide what the API may show.
 */
export class VariableRepository {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  list(environmentId: string, serviceId: string): StoredVariable[] {
    const rows = this.db.prepare('SELECT * FROM env_variables WHERE environment_id = ? AND service_id = ? ORDER BY key').all(environmentId, serviceId) as Row[];
    return rows.map((r) => this.toVariable(r));
  }

  /** Everything of one environment: shared ('' key) and per service id. */
  forEnvironment(environmentId: string): Map<string, StoredVariable[]> {
    const rows = this.db.prepare('SELECT * FROM env_variables WHERE environment_id = ? ORDER BY service_id, key').all(environmentId) as Row[];
    const scopes = new Map<string, StoredVariable[]>();
    for (const row of rows) {
      const list = scopes.get(row.service_id) ?? [];
      list.push(this.toVariable(row));
      scopes.set(row.service_id, list);
    }
    return scopes;
  }

  set(environmentId: string, serviceId: string, inputs: readonly VariableInput[]): void {
    this.db.transaction(() => {
      const existing = new Map(this.list(environmentId, serviceId).map((v) => [v.key, v]));
      const stmt = this.db.prepare(`INSERT INTO env_variables (environment_id, service_id, key, value, secret, sealed, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (environment_id, service_id, key) DO UPDATE SET value = excluded.value, secret = excluded.secret,
          sealed = excluded.sealed, updated_at = excluded.updated_at`);
      for (const input of inputs) {
        const before = existing.get(input.key);
        const sealed = input.sealed === true || before?.sealed === true;
        const secret = sealed || (input.secret ?? before?.secret ?? false);
        stmt.run(environmentId, serviceId, input.key, this.box.encrypt(input.value), secret ? 1 : 0, sealed ? 1 : 0, now());
      }
    }).immediate();
  }

  delete(environmentId: string, serviceId: string, key: string): boolean {
    return this.db.prepare('DELETE FROM env_variables WHERE environment_id = ? AND service_id = ? AND key = ?').run(environmentId, serviceId, key).changes > 0;
  }

  /** Rows from before encryption existed (migration 2) are encrypted in place; returns how many. */
  encryptPlaintext(): number {
    const rows = this.db.prepare('SELECT rowid AS id, value FROM env_variables').all() as Array<{ id: number; value: string }>;
    const plain = rows.filter((r) => !this.box.isEncrypted(r.value));
    const stmt = this.db.prepare('UPDATE env_variables SET value = ? WHERE rowid = ?');
    this.db.transaction(() => plain.forEach((r) => stmt.run(this.box.encrypt(r.value), r.id))).immediate();
    return plain.length;
  }

  /** Key rotation: every stored value re-encrypted with the current key. */
  reencryptAll(reencrypt: (token: string) => string): number {
    const rows = this.db.prepare('SELECT rowid AS id, value FROM env_variables').all() as Array<{ id: number; value: string }>;
    const stmt = this.db.prepare('UPDATE env_variables SET value = ? WHERE rowid = ?');
    this.db.transaction(() => rows.forEach((r) => stmt.run(reencrypt(r.value), r.id))).immediate();
    return rows.length;
  }

  private toVariable(row: Row): StoredVariable {
    return {
      key: row.key,
      value: this.box.isEncrypted(row.value) ? this.box.decrypt(row.value) : row.value,
      secret: row.secret === 1,
      sealed: row.sealed === 1,
      updatedAt: row.updated_at,
    };
  }
}
