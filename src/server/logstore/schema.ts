import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export type LogDb = Database.Database;

// <WHARF_HOME>/logs.db: its own SQLite file, so a flood of log lines never contends with the
// state database. One row per line; an FTS5 index over message, level and fields kept as
// external content (the text is stored once, in `lines`). `files` holds how far each log file
// has been read, committed in the same transaction as its lines: a restart resumes exactly.
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    t INTEGER NOT NULL,
    project TEXT,
    environment TEXT,
    service TEXT,
    instance TEXT NOT NULL,
    deployment TEXT,
    replica TEXT,
    source TEXT NOT NULL,
    stream TEXT NOT NULL,
    level TEXT,
    message TEXT NOT NULL,
    fields TEXT,
    bytes INTEGER NOT NULL
  );
  CREATE INDEX lines_instance ON lines (instance, id);
  CREATE INDEX lines_project ON lines (project, id);
  CREATE INDEX lines_time ON lines (t);
  CREATE VIRTUAL TABLE lines_fts USING fts5 (message, level, fields, content = 'lines', content_rowid = 'id', tokenize = 'unicode61');
  CREATE TRIGGER lines_fts_delete AFTER DELETE ON lines BEGIN
    INSERT INTO lines_fts (lines_fts, rowid, message, level, fields) VALUES ('delete', old.id, old.message, old.level, old.fields);
  END;
  CREATE TABLE files (
    path TEXT PRIMARY KEY,
    offset INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE project_usage (
    project TEXT PRIMARY KEY,
    bytes INTEGER NOT NULL
  );
  `,
];

export function openLogDb(file: string): LogDb {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
  // Apps' output may hold anything: nobody else reads it.
  if (file !== ':memory:') {
    for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
  }
  return db;
}
