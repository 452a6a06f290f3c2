import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { z } from 'zod';
import { logLineView, logsQuery, type LogLineView } from '../../../core/api.js';
import { WharfError } from '../../../core/errors.js';
import type { Deployment } from '../../../core/model.js';
import type { IndexedLine, LogIndexer, LogSearch } from '../../logstore/indexer.js';
import { BUILD_SOURCES, RUNTIME_SOURCES } from '../../logstore/paths.js';
import { parseLogQuery } from '../../logstore/query.js';
import { buildLogFile, deploymentLogDir } from '../../observe/log-paths.js';
import { LogCursor, parseSince, replicaLogFiles, selectLines } from '../../observe/log-query.js';
import { flag } from '../body.js';
import type { ApiDeps } from '../deps.js';
import { resolveInstance } from '../resolve.js';
import { SERVICE } from './services.js';

// `wharf logs`. Without a filter the files of the live (or given) deployment answer, as they
// always did. With a filter, --until, or -f (runtime logs), the log index answers: it knows
// levels and fields, and its line ids let a tail resume after a disconnect (SSE `id:`; the
// client sends Last-Event-ID, or `after=`) without gaps or duplicates.

const DEFAULT_SEARCH_LINES = 1_000;
const DEFAULT_FOLLOW_LINES = 100;
const TAIL_BATCH = 1_000;
const TAIL_POLL_MS = 1_000;
/** How many of a cron service's latest runs `wharf logs` reads (each run is its own file). */
const CRON_RUNS_SHOWN = 50;

function parseUntil(value: string | undefined): number | null {
  if (value === undefined || value === '') return null;
  try {
    return parseSince(value);
  } catch {
    throw new WharfError('BAD_REQUEST', `--until '${value}' is neither a duration nor a time`, { hint: 'Use e.g. 10m (ten minutes ago) or 2026-11-20T14:03:00Z.' });
  }
}

export function indexedLineView(line: IndexedLine): LogLineView {
  const view: LogLineView = { id: line.id, t: new Date(line.t).toISOString(), s: line.stream, m: line.message, source: line.source };
  if (line.replica && line.source === 'runtime') view.replica = line.replica;
  if (line.deployment) view.deployment = line.deployment;
  if (line.level) view.level = line.level;
  if (line.fields) {
    try {
      view.fields = JSON.parse(line.fields) as Record<string, unknown>;
    } catch {
      /* stored as written; unreadable fields are left out */
    }
  }
  return view;
}

export function logRoutes(app: Hono, deps: ApiDeps): void {
  const { store, registry, options } = deps;

  registry.add({
    method: 'get',
    path: `${SERVICE}/logs`,
    summary:
      'Runtime logs of the active (or a given) deployment, or its build log with build=1; filter= searches the log index (text, level:error, @field:value, -exclude, AND/OR); follow=1 streams server-sent events ("log", id = line id; resume with Last-Event-ID or after=)',
    query: logsQuery,
    response: z.object({ lines: z.array(logLineView) }),
  });
  app.get(`${SERVICE}/logs`, async (c) => {
    const ctx = resolveInstance(store, c.req.param('project')!, c.req.param('environment')!, c.req.param('service')!);
    const query = logsQuery.parse(c.req.query());
    const since = parseSince(query.since);
    const until = parseUntil(query.until);
    const build = flag(query.build);
    const follow = flag(query.follow);
    // A bad filter is a 400 before anything streams.
    if (query.filter) parseLogQuery(query.filter);
    const pick = (): Deployment | null => {
      if (query.deployment) {
        const { deployments } = store;
        const d = /^\d+$/.test(query.deployment) ? deployments.findByNumber(ctx.instance.id, Number(query.deployment)) : deployments.find(query.deployment);
        if (!d || d.instanceId !== ctx.instance.id) throw new WharfError('NOT_FOUND', `deployment '${query.deployment}' is not a deployment of this service`, { hint: 'List them with `wharf deployments`.' });
        return d;
      }
      const instance = store.projects.getInstance(ctx.instance.id);
      if (!build && instance.activeDeploymentId) return store.deployments.get(instance.activeDeploymentId);
      return store.deployments.listForInstance(ctx.instance.id, 1)[0] ?? null;
    };

    const lastEventId = c.req.header('last-event-id');
    const after = query.after ?? (lastEventId && /^\d+$/.test(lastEventId) ? Number(lastEventId) : undefined);
    const index = deps.logIndex;
    const useIndex = index !== undefined && (query.filter !== undefined || until !== null || after !== undefined || (follow && !build));
    if (useIndex) {
      const search: Omit<LogSearch, 'limit'> = {
        instances: [ctx.instance.id],
        deployment: query.deployment ? pick()!.id : undefined,
        sources: build ? BUILD_SOURCES : RUNTIME_SOURCES,
        filter: query.filter,
        sinceMs: since,
        untilMs: until,
      };
      if (!follow) return c.json({ lines: index.search({ ...search, limit: query.lines ?? DEFAULT_SEARCH_LINES }).map(indexedLineView) });
      return followIndex(c, index, search, after, query.lines ?? DEFAULT_FOLLOW_LINES);
    }

    const database = ctx.service.kind === 'database' ? path.join(options.paths.logs, ctx.instance.id, 'database') : null;
    // A cron service runs no replicas: its runtime logs are its runs' output (of the given
    // deployment's build, or of any), each run tagged with its id.
    const cronRuns = ctx.service.kind === 'cron' && !build;
    const filesOf = async (d: Deployment | null) => {
      if (database) return replicaLogFiles(database);
      if (cronRuns) {
        return store.cronRuns
          .history(ctx.instance.id, CRON_RUNS_SHOWN)
          .filter((run) => run.logFile !== null && (!query.deployment || run.deploymentId === d?.id))
          .map((run) => run.logFile!);
      }
      if (!d) return [];
      if (build) return [buildLogFile(options.paths.logs, d.instanceId, d.id)];
      return replicaLogFiles(deploymentLogDir(options.paths.logs, d.instanceId, d.id));
    };

    const cursor = new LogCursor();
    const first = await cursor.read(await filesOf(pick()), !build);
    const initial = selectLines(first, since, query.lines ?? (follow ? DEFAULT_FOLLOW_LINES : undefined));
    if (!follow) return c.json({ lines: initial });

    return streamSSE(c, async (stream) => {
      let aborted = false;
      stream.onAbort(() => {
        aborted = true;
      });
      for (const line of initial) await stream.writeSSE({ event: 'log', data: JSON.stringify(line) });
      // Follows the deployment that is live now, so a redeploy shows up in the same stream.
      while (!aborted) {
        await sleep(200);
        const current = pick();
        for (const line of await cursor.read(await filesOf(current), !build)) {
          await stream.writeSSE({ event: 'log', data: JSON.stringify(line) });
        }
      }
    });
  });
}

/**
 * A tail from the index: the last `backlog` lines (unless resuming), then every new line in id
 * order. The cursor is the newest id the index had when it was last asked, so lines committed
 * later are never skipped and none is sent twice.
 */
function followIndex(c: Parameters<typeof streamSSE>[0], index: LogIndexer, search: Omit<LogSearch, 'limit'>, after: number | undefined, backlog: number) {
  return streamSSE(c, async (stream) => {
    let aborted = false;
    let wake: (() => void) | null = null;
    const unsubscribe = index.onLines(() => wake?.());
    stream.onAbort(() => {
      aborted = true;
      wake?.();
    });
    try {
      let cursor: number;
      if (after === undefined) {
        cursor = index.lastId();
        const initial = index.search({ ...search, limit: backlog, untilMs: null });
        for (const line of initial) await stream.writeSSE({ event: 'log', id: String(line.id), data: JSON.stringify(indexedLineView(line)) });
      } else {
        cursor = after;
      }
      while (!aborted) {
        const top = index.lastId();
        const lines = index.search({ ...search, sinceMs: null, untilMs: null, afterId: cursor, limit: TAIL_BATCH });
        for (const line of lines) await stream.writeSSE({ event: 'log', id: String(line.id), data: JSON.stringify(indexedLineView(line)) });
        cursor = lines.length >= TAIL_BATCH ? lines[lines.length - 1]!.id : Math.max(cursor, top);
        if (lines.length >= TAIL_BATCH) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, TAIL_POLL_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
    } finally {
      unsubscribe();
    }
  });
}
