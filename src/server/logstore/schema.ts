import type Database from 'better-sqlite3';
import { openSqlite } from '../store/sqlite.js';

export type LogDb = Database.Database;

// <WHARF_HOME>/logs.db: its own SQLite file, so a flood of log lines never contends with the
// state database. One row per line; an FTS5 index over message, level and fields kept as
// external content (the text is stored once, in `lines`). `files` holds how far each log file
// has been read, committed in the same transaction as its lines: a restart resumes exactly.
export const LOG_DB_MIGRATIONS: readonly string[] = [
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
  // 2: the FTS index without its per-line column sizes (`columnsize = 0`): they serve only
  // ranking (bm25), which searches never use (they walk ids), and cost a row per line. Segments
  // are merged 8 at a time instead of 4 (`automerge`): each line is rewritten by fewer merges,
  // for a few more segments to look in per search. The index is rebuilt from `lines` once (a few
  // seconds per million lines); what it answers is unchanged.
  `
  DROP TABLE lines_fts;
  CREATE VIRTUAL TABLE lines_fts USING fts5 (message, level, fields, content = 'lines', content_rowid = 'id', tokenize = 'unicode61', columnsize = 0);
  INSERT INTO lines_fts (lines_fts, rank) VALUES ('automerge', 8);
  INSERT INTO lines_fts (lines_fts) VALUES ('rebuild');
  `,
];

export function openLogDb(file: string): LogDb {
  // Apps' output may hold anything: openSqlite keeps the file private. The WAL is checkpointed
  // every 16k pages (64 MiB) rather than every 1000: fewer fsyncs, and the pages every batch
  // touches (the tables' last pages, FTS structure) are copied back once per checkpoint.
  return openSqlite(file, LOG_DB_MIGRATIONS, ['cache_size = -65536', 'temp_store = MEMORY', 'wal_autocheckpoint = 16384']);
}
