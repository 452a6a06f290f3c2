import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as yieldNow } from 'node:timers/promises';
import { parseAppLine } from './parse.js';
import { classifyLogFile, type LogFileInfo, type LogSource } from './paths.js';
import { compileLogQuery, parseLogQuery } from './query.js';
import { openLogDb, type LogDb } from './schema.js';

// The log index: tails every log file under logs/ into <home>/logs.db (lines + FTS5), keeps
// retention by age and by size per project, and answers searches and tails. It runs in the
// control plane, off the apps' path: supervisors only append to files, so a slow index never
// slows an app — it falls behind and catches up.

export interface InstanceNames {
  project: string;
  environment: string;
  service: string;
}

export interface LogIndexerOptions {
  logsDir: string;
  /** The SQLite file (<home>/logs.db), or ':memory:'. */
  dbFile: string;
  /** Instance id (from the path) → its project/environment/service ids; null if unknown. */
  resolve(instanceId: string): InstanceNames | null;
  scanIntervalMs?: number;
  retentionDays?: number;
  /** 0: no size limit. */
  maxBytesPerProject?: number;
  retentionIntervalMs?: number;
  /** Lines per transaction. */
  batchLines?: number;
  onError?(error: unknown): void;
}

export interface IndexedLine {
  id: number;
  t: number;
  project: string | null;
  environment: string | null;
  service: string | null;
  instance: string;
  deployment: string | null;
  replica: string | null;
  source: LogSource;
  stream: 'out' | 'err' | 'sys';
  level: string | null;
  message: string;
  fields: string | null;
}

export interface LogSearch {
  instances?: readonly string[];
  project?: string;
  deployment?: string;
  sources?: readonly LogSource[];
  /** The query language (query.ts). */
  filter?: string;
  sinceMs?: number | null;
  untilMs?: number | null;
  /** Newest `limit` lines (returned oldest first), or with afterId the first `limit` after it. */
  limit: number;
  afterId?: number;
}

export const DEFAULT_RETENTION_DAYS = 30;
export const DEFAULT_MAX_BYTES_PER_PROJECT = 1024 ** 3;
const MAX_CHUNK_BYTES = 8 * 1024 * 1024;
const RETENTION_BATCH = 2_000;
/** Per-row overhead counted towards a project's size besides its text (ids, index entries). */
const ROW_OVERHEAD = 96;
/** Rows per INSERT statement: fewer calls into SQLite, the per-file values bound once. */
const INSERT_ROWS = 128;

function positiveEnv(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** WHARF_LOG_RETENTION_DAYS and WHARF_LOG_MAX_BYTES_PER_PROJECT (0 turns the size limit off). */
export function retentionFromEnv(env: NodeJS.ProcessEnv = process.env): { retentionDays?: number; maxBytesPerProject?: number } {
  return { retentionDays: positiveEnv(env.WHARF_LOG_RETENTION_DAYS), maxBytesPerProject: positiveEnv(env.WHARF_LOG_MAX_BYTES_PER_PROJECT) };
}

interface FileState {
  offset: number;
  info: LogFileInfo;
}

interface PendingLine {
  t: number;
  stream: 'out' | 'err' | 'sys';
  level: string | null;
  message: string;
  fields: string | null;
}

export class LogIndexer {
  readonly db: LogDb;
  private readonly files = new Map<string, FileState>();
  private readonly names = new Map<string, InstanceNames | null>();
  private readonly listeners = new Set<() => void>();
  private scanTimer: NodeJS.Timeout | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  private scanning: Promise<number> | null = null;
  private retaining: Promise<number> | null = null;
  private stopped = false;
  private readonly stmt;
  private readonly retentionDays: number;
  private readonly maxBytesPerProject: number;
  private readonly batchLines: number;

  constructor(private readonly options: LogIndexerOptions) {
    this.db = openLogDb(options.dbFile);
    this.retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
    this.maxBytesPerProject = options.maxBytesPerProject ?? DEFAULT_MAX_BYTES_PER_PROJECT;
    this.batchLines = options.batchLines ?? 5_000;
    const db = this.db;
    const insertRowsSql = (rows: number) =>
      db.prepare(
        'INSERT INTO lines (t, project, environment, service, instance, deployment, replica, source, stream, level, message, fields, bytes) ' +
          `SELECT column1, ?, ?, ?, ?, ?, ?, ?, column2, column3, column4, column5, column6 FROM (VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?)').join(', ')})`,
      );
    this.stmt = {
      insertRows: insertRowsSql(INSERT_ROWS),
      insertRow: insertRowsSql(1),
      indexFts: db.prepare('INSERT INTO lines_fts (rowid, message, level, fields) SELECT id, message, level, fields FROM lines WHERE id > ? ORDER BY id'),
      setOffset: db.prepare('INSERT INTO files (path, offset, updated_at) VALUES (?, ?, ?) ON CONFLICT (path) DO UPDATE SET offset = excluded.offset, updated_at = excluded.updated_at'),
      dropFile: db.prepare('DELETE FROM files WHERE path = ?'),
      addUsage: db.prepare('INSERT INTO project_usage (project, bytes) VALUES (?, ?) ON CONFLICT (project) DO UPDATE SET bytes = bytes + excluded.bytes'),
      maxId: db.prepare('SELECT coalesce(max(id), 0) AS id FROM lines').pluck(),
    };
    for (const row of db.prepare('SELECT path, offset FROM files').all() as Array<{ path: string; offset: number }>) {
      const info = classifyLogFile(options.logsDir, row.path);
      if (info) this.files.set(row.path, { offset: row.offset, info });
    }
  }

  start(): void {
    const scanEvery = this.options.scanIntervalMs ?? 500;
    const scanLoop = () => {
      if (this.stopped) return;
      void this.scan()
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          if (!this.stopped) this.scanTimer = setTimeout(scanLoop, scanEvery).unref();
        });
    };
    scanLoop();
    const retainEvery = this.options.retentionIntervalMs ?? 60_000;
    const retainLoop = () => {
      if (this.stopped) return;
      void this.enforceRetention()
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          if (!this.stopped) this.retentionTimer = setTimeout(retainLoop, retainEvery).unref();
        });
    };
    this.retentionTimer = setTimeout(retainLoop, Math.min(retainEvery, 5_000)).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.scanTimer) clearTimeout(this.scanTimer);
    if (this.retentionTimer) clearTimeout(this.retentionTimer);
    await this.scanning?.catch(() => {});
    await this.retaining?.catch(() => {});
    this.listeners.clear();
    this.db.close();
  }

  /** Called after every commit of new lines (tails wake up instead of waiting for a poll). */
  onLines(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The id of the newest line; a tail starting now continues after it. */
  lastId(): number {
    return this.stmt.maxId.get() as number;
  }

  /** One pass: finds log files, reads what is new in each, indexes it. Returns lines added. */
  scan(): Promise<number> {
    if (!this.scanning) {
      this.scanning = this.scanPass().finally(() => {
        this.scanning = null;
      });
    }
    return this.scanning;
  }

  private async scanPass(): Promise<number> {
    const found = await this.discover();
    let added = 0;
    for (const file of found) {
      if (this.stopped) break;
      let state = this.files.get(file);
      if (!state) {
        const info = classifyLogFile(this.options.logsDir, file);
        if (!info) continue;
        state = { offset: 0, info };
        this.files.set(file, state);
      }
      added += await this.readFile(file, state);
    }
    // Files that are gone (a removed service's logs): forget their offsets, keep their lines.
    const present = new Set(found);
    for (const file of [...this.files.keys()]) {
      if (!present.has(file)) {
        this.files.delete(file);
        this.stmt.dropFile.run(file);
      }
    }
    return added;
  }

  private async discover(): Promise<string[]> {
    const out: string[] = [];
    const dirs = async (dir: string) => {
      try {
        return await readdir(dir, { withFileTypes: true });
      } catch {
        return [];
      }
    };
    for (const instance of await dirs(this.options.logsDir)) {
      if (!instance.isDirectory() || !/^[a-z]+_/.test(instance.name)) continue;
      const instanceDir = path.join(this.options.logsDir, instance.name);
      for (const middle of await dirs(instanceDir)) {
        if (!middle.isDirectory()) continue;
        const middleDir = path.join(instanceDir, middle.name);
        for (const file of await dirs(middleDir)) {
          if (file.isFile() && file.name.endsWith('.log')) out.push(path.join(middleDir, file.name));
        }
      }
    }
    return out;
  }

  private async readFile(file: string, state: FileState): Promise<number> {
    let handle;
    try {
      handle = await open(file, 'r');
    } catch {
      return 0;
    }
    let added = 0;
    try {
      for (;;) {
        const { size } = await handle.stat();
        if (size < state.offset) state.offset = 0; // truncated: start over
        if (size === state.offset || this.stopped) break;
        const length = Math.min(size - state.offset, MAX_CHUNK_BYTES);
        const buffer = Buffer.allocUnsafe(length);
        const { bytesRead } = await handle.read(buffer, 0, length, state.offset);
        let end = buffer.subarray(0, bytesRead).lastIndexOf(0x0a);
        if (end < 0) {
          // No complete line yet; a single line longer than a chunk is skipped whole.
          if (bytesRead < MAX_CHUNK_BYTES) break;
          end = bytesRead - 1;
        }
        added += await this.ingest(file, state, buffer, end);
      }
    } finally {
      await handle.close();
    }
    return added;
  }

  private namesOf(instance: string): InstanceNames | null {
    if (!this.names.has(instance)) {
      let names: InstanceNames | null = null;
      try {
        names = this.options.resolve(instance);
      } catch {
        names = null;
      }
      // Unknown instances are asked again on the next pass (it may be mid-creation).
      if (!names) return null;
      this.names.set(instance, names);
    }
    return this.names.get(instance) ?? null;
  }

  /**
   * Indexes the lines of one chunk (`chunk` holds the file from `state.offset`; the lines end at
   * `end`, a newline or the cut of an over-long line), `batchLines` per transaction. Each commit
   * carries the file offset just past its last line, so a crash between batches repeats nothing
   * and skips nothing.
   */
  private async ingest(file: string, state: FileState, chunk: Buffer, end: number): Promise<number> {
    const { info } = state;
    const names = this.namesOf(info.instance);
    const project = names?.project ?? null;
    // The per-file values are bound once per statement; the lines go INSERT_ROWS at a time, then
    // into FTS from the rows just written (ids are consecutive: this connection is the only writer).
    const fixed = [project, names?.environment ?? null, names?.service ?? null, info.instance, info.deployment, info.replica, info.source];
    const params: unknown[] = [];
    const write = this.db.transaction((batch: PendingLine[], offset: number) => {
      const before = this.stmt.maxId.get() as number;
      let bytes = 0;
      let i = 0;
      for (; i + INSERT_ROWS <= batch.length; i += INSERT_ROWS) {
        params.length = 0;
        params.push(...fixed);
        for (let j = i; j < i + INSERT_ROWS; j++) bytes += pushRow(params, batch[j]!);
        this.stmt.insertRows.run(params);
      }
      for (; i < batch.length; i++) {
        params.length = 0;
        params.push(...fixed);
        bytes += pushRow(params, batch[i]!);
        this.stmt.insertRow.run(params);
      }
      if (batch.length > 0) this.stmt.indexFts.run(before);
      if (bytes > 0) this.stmt.addUsage.run(project ?? '', bytes);
      this.stmt.setOffset.run(file, offset, Date.now());
    });
    // One string for the chunk, read line by line (no array of all its lines). Offsets are bytes:
    // in a chunk with as many characters as bytes (ASCII throughout) a character's index is its
    // byte's; otherwise each line's newline is also found in the bytes.
    const text = chunk.toString('utf8', 0, end);
    const ascii = text.length === end;
    const start = state.offset;
    let added = 0;
    let pos = 0;
    let bytePos = 0;
    while (pos <= text.length) {
      const batch: PendingLine[] = [];
      while (pos <= text.length && batch.length < this.batchLines) {
        let newline = text.indexOf('\n', pos);
        if (newline < 0) newline = text.length;
        const line = toPending(text.slice(pos, newline));
        if (line) batch.push(line);
        pos = newline + 1;
        if (!ascii && pos <= text.length) bytePos = chunk.indexOf(0x0a, bytePos) + 1;
      }
      const offset = start + (pos > text.length ? end + 1 : ascii ? pos : bytePos);
      write(batch, offset);
      added += batch.length;
      state.offset = offset;
      if (batch.length > 0) this.notify();
      if (pos <= text.length) await yieldNow();
    }
    return added;
  }

  private notify(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        /* a listener's problem is its own */
      }
    }
  }

  /**
   * Deletes lines older than the retention, then the oldest lines of projects over their size,
   * in batches of a few thousand with a yield between them, so ingestion and searches go on.
   */
  enforceRetention(now = Date.now()): Promise<number> {
    if (!this.retaining) {
      this.retaining = this.retentionPass(now).finally(() => {
        this.retaining = null;
      });
    }
    return this.retaining;
  }

  private async retentionPass(now: number): Promise<number> {
    let deleted = 0;
    const cutoff = now - this.retentionDays * 86_400_000;
    const byAge = this.db.prepare('DELETE FROM lines WHERE id IN (SELECT id FROM lines WHERE t < ? LIMIT ?) RETURNING project, bytes');
    const subtract = this.db.prepare('UPDATE project_usage SET bytes = max(0, bytes - ?) WHERE project = ?');
    const run = this.db.transaction((rows: Array<{ project: string | null; bytes: number }>) => {
      const perProject = new Map<string, number>();
      for (const row of rows) perProject.set(row.project ?? '', (perProject.get(row.project ?? '') ?? 0) + row.bytes);
      for (const [project, bytes] of perProject) subtract.run(bytes, project);
    });
    for (;;) {
      if (this.stopped) return deleted;
      const rows = this.db.transaction(() => {
        const r = byAge.all(cutoff, RETENTION_BATCH) as Array<{ project: string | null; bytes: number }>;
        run(r);
        return r;
      })();
      deleted += rows.length;
      if (rows.length < RETENTION_BATCH) break;
      await yieldNow();
    }
    if (this.maxBytesPerProject > 0) {
      const over = this.db.prepare('SELECT project, bytes FROM project_usage WHERE bytes > ?').all(this.maxBytesPerProject) as Array<{ project: string; bytes: number }>;
      const oldest = this.db.prepare('SELECT id, bytes FROM lines WHERE project IS ? ORDER BY id LIMIT ?');
      const byIds = this.db.prepare('DELETE FROM lines WHERE id IN (SELECT value FROM json_each(?))');
      for (const { project, bytes } of over) {
        let remaining = bytes;
        // Down to 90% of the limit, so a project at its limit is not trimmed on every pass.
        const target = this.maxBytesPerProject * 0.9;
        while (remaining > target && !this.stopped) {
          const freed = this.db.transaction(() => {
            const rows = oldest.all(project === '' ? null : project, RETENTION_BATCH) as Array<{ id: number; bytes: number }>;
            const ids: number[] = [];
            let sum = 0;
            for (const row of rows) {
              if (remaining - sum <= target) break;
              ids.push(row.id);
              sum += row.bytes;
            }
            byIds.run(JSON.stringify(ids));
            subtract.run(sum, project);
            return { count: ids.length, sum };
          })();
          deleted += freed.count;
          remaining -= freed.sum;
          if (freed.count === 0) {
            this.db.prepare('UPDATE project_usage SET bytes = 0 WHERE project = ?').run(project);
            break;
          }
          await yieldNow();
        }
      }
    }
    return deleted;
  }

  /** Bytes counted for a project (its lines' text plus a per-row overhead). */
  projectBytes(project: string): number {
    const row = this.db.prepare('SELECT bytes FROM project_usage WHERE project = ?').get(project) as { bytes: number } | undefined;
    return row?.bytes ?? 0;
  }

  /** Lines matching a search, oldest first. Throws WharfError BAD_REQUEST for a bad filter. */
  search(search: LogSearch): IndexedLine[] {
    const compiled = compileLogQuery(parseLogQuery(search.filter ?? ''));
    const where: string[] = compiled.where.map((w) => `(${w})`);
    const params: unknown[] = [...compiled.params];
    const scope: string[] = [];
    const scopeParams: unknown[] = [];
    if (search.instances) {
      if (search.instances.length === 0) return [];
      scope.push(`l.instance IN (${search.instances.map(() => '?').join(', ')})`);
      scopeParams.push(...search.instances);
    }
    if (search.project !== undefined) {
      scope.push('l.project = ?');
      scopeParams.push(search.project);
    }
    if (search.deployment !== undefined) {
      scope.push('l.deployment = ?');
      scopeParams.push(search.deployment);
    }
    if (search.sources) {
      scope.push(`l.source IN (${search.sources.map(() => '?').join(', ')})`);
      scopeParams.push(...search.sources);
    }
    if (search.sinceMs != null) {
      scope.push('l.t >= ?');
      scopeParams.push(search.sinceMs);
    }
    if (search.untilMs != null) {
      scope.push('l.t <= ?');
      scopeParams.push(search.untilMs);
    }
    const after = search.afterId !== undefined;
    const columns = 'l.id, l.t, l.project, l.environment, l.service, l.instance, l.deployment, l.replica, l.source, l.stream, l.level, l.message, l.fields';
    let sql: string;
    const all: unknown[] = [];
    if (compiled.match !== null) {
      // CROSS JOIN keeps the FTS index as the outer loop, walking rowids in order.
      const idCond = after ? ['lines_fts.rowid > ?'] : [];
      const conds = ['lines_fts MATCH ?', ...idCond, ...scope, ...where];
      sql = `SELECT ${columns} FROM lines_fts CROSS JOIN lines l ON l.id = lines_fts.rowid WHERE ${conds.join(' AND ')} ORDER BY lines_fts.rowid ${after ? 'ASC' : 'DESC'} LIMIT ?`;
      all.push(compiled.match, ...(after ? [search.afterId] : []), ...scopeParams, ...params, search.limit);
    } else {
      const conds = [...(after ? ['l.id > ?'] : []), ...scope, ...where];
      sql = `SELECT ${columns} FROM lines l ${conds.length > 0 ? `WHERE ${conds.join(' AND ')}` : ''} ORDER BY l.id ${after ? 'ASC' : 'DESC'} LIMIT ?`;
      all.push(...(after ? [search.afterId] : []), ...scopeParams, ...params, search.limit);
    }
    const rows = this.db.prepare(sql).all(...all) as IndexedLine[];
    return after ? rows : rows.reverse();
  }
}

/** Appends a line's own values (the VALUES row of the insert); returns the bytes it counts. */
function pushRow(params: unknown[], line: PendingLine): number {
  const size = line.message.length + (line.fields?.length ?? 0) + ROW_OVERHEAD;
  params.push(line.t, line.stream, line.level, line.message, line.fields, size);
  return size;
}

function toPending(text: string): PendingLine | null {
  if (text === '') return null;
  let value: { t?: unknown; s?: unknown; m?: unknown } | null;
  try {
    value = JSON.parse(text) as typeof value;
  } catch {
    return null; // not one of Wharf's lines (or torn by a crash mid-write)
  }
  if (typeof value?.m !== 'string' || typeof value.t !== 'string') return null;
  const t = Date.parse(value.t);
  if (Number.isNaN(t)) return null;
  const stream = value.s === 'err' || value.s === 'sys' ? value.s : 'out';
  if (stream === 'sys') return { t, stream, level: null, message: value.m, fields: null };
  const parsed = parseAppLine(value.m);
  return { t, stream, level: parsed.level, message: parsed.message, fields: parsed.fields };
}
