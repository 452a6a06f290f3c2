import type { IndexedLine } from '../logstore/indexer.js';

/**
 * One log line as a drain receives it (an HTTP drain gets exactly this, one JSON object a line):
 * names rather than ids, the line's id in the log index (receivers may drop repeats by it;
 * null for lines Wharf makes itself, like "N lines dropped"), and the parsed level and fields.
 */
export interface DrainRecord {
  id: number | null;
  timestamp: string;
  /** ms since the epoch (not sent over HTTP; `timestamp` says the same). */
  t: number;
  project: string;
  environment: string;
  service: string;
  deployment: string | null;
  replica: string | null;
  /** runtime, build, pre-deploy, checks, cron, run, database */
  source: string;
  stream: 'out' | 'err' | 'sys';
  level: string | null;
  message: string;
  fields: Record<string, unknown> | null;
}

export interface NameLookup {
  project(id: string): string;
  environment(id: string): string;
  service(id: string): string;
}

export function toDrainRecord(line: IndexedLine, names: NameLookup): DrainRecord {
  let fields: Record<string, unknown> | null = null;
  if (line.fields) {
    try {
      fields = JSON.parse(line.fields) as Record<string, unknown>;
    } catch {
      fields = null;
    }
  }
  return {
    id: line.id,
    timestamp: new Date(line.t).toISOString(),
    t: line.t,
    project: line.project ? names.project(line.project) : '-',
    environment: line.environment ? names.environment(line.environment) : '-',
    service: line.service ? names.service(line.service) : '-',
    deployment: line.deployment,
    replica: line.replica,
    source: line.source,
    stream: line.stream,
    level: line.level,
    message: line.message,
    fields,
  };
}

/** The HTTP body: newline-delimited JSON, one record a line. */
export function toNdjson(records: readonly DrainRecord[]): string {
  return records.map(({ t: _t, ...rest }) => JSON.stringify(rest)).join('\n') + '\n';
}
