import type Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';
import { openSqlite } from './sqlite.js';

export type Db = Database.Database;

// The control plane's state. Foreign keys on; freed pages zeroed, so a re-encrypted or deleted
// secret leaves no old copy in the file.
export function openDatabase(file: string): Db {
  return openSqlite(file, MIGRATIONS, ['foreign_keys = ON', 'secure_delete = ON']);
}
