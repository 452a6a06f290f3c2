import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './database.js';
import { newId, now } from './ids.js';

export interface TokenRecord { id: string; name: string; role: string; createdAt: string }

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/** API tokens, stored only as hashes: a copied database file grants nothing. */
export class TokenRepository {
  constructor(private readonly db: Db) {}

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM tokens').get() as { n: number }).n;
  }

  /** Returns the token in clear text: the only time it exists outside the caller. */
  create(name: string, role: 'admin'): string {
    const token = `wharf_${randomBytes(24).toString('base64url')}`;
    this.db.prepare('INSERT INTO tokens (id, name, hash, role, created_at) VALUES (?, ?, ?, ?, ?)').run(newId('tok'), name, hash(token), role, now());
    return token;
  }

  verify(token: string): TokenRecord | null {
    const row = this.db.prepare('SELECT id, name, role, created_at AS createdAt FROM tokens WHERE hash = ?').get(hash(token)) as TokenRecord | undefined;
    return row ?? null;
  }
}
