import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Every SQLite file Wharf keeps (state, log index, metrics) is opened the same way: WAL with
 * synchronous=NORMAL (every commit survives kill -9, docs/testing.md), a busy timeout, migrations
 * versioned by `user_version`, and the files private to Wharf's user (0600).
 */
export function openSqlite(file: string, migrations: readonly string[], pragmas: readonly string[] = []): Database.Database {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  for (const pragma of pragmas) db.pragma(pragma);
  migrateSqlite(db, migrations);
  if (file !== ':memory:') {
    for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
  }
  return db;
}

/** Applies the migrations after `user_version`, each in its own transaction. Never edit a shipped one. */
export function migrateSqlite(db: Database.Database, migrations: readonly string[]): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
