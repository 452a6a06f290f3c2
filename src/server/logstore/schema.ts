import type Database from 'better-sqlite3';
import { openSqlite } from '../store/sqlite.js';

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
  // Apps' output may hold anything: openSqlite keeps the file private.
  return openSqlite(file, MIGRATIONS, ['cache_size = -65536', 'temp_store = MEMORY']);
}
