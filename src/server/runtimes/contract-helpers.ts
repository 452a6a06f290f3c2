import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ArtifactRef } from '../../core/artifact.js';
import type { Endpoint, ReplicaSpec } from '../../core/runtime.js';
import type { LogLine } from '../../shared/log-writer.js';

// Helpers for runtime tests: tiny HTTP and log readers, and specs for the fixture programs in
// test/fixtures (waiting is test/helpers/wait.ts).

export const FIXTURES_DIR = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

/** GET a replica's endpoint (a bare port: 127.0.0.1) at path; null when nothing answers. */
export function httpGet(target: Endpoint | number, urlPath = '/'): Promise<{ status: number; body: string } | null> {
  const { host, port } = typeof target === 'number' ? { host: '127.0.0.1', port: target } : target;
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: urlPath, agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

export function readLogLines(file: string): LogLine[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogLine);
}

let counter = 0;
export function uniqueReplicaId(prefix = 'r'): string {
  counter++;
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export interface FixtureSpecOptions {
  fixture: string;
  logDir: string;
  port?: number | null;
  env?: Record<string, string>;
  command?: (fixtureFile: string) => string[];
  /** What the replica runs; default the release folder test/fixtures. */
  artifact?: ArtifactRef;
  overrides?: Partial<ReplicaSpec>;
}

/** A ReplicaSpec running test/fixtures/<fixture>.js. */
export function fixtureSpec(options: FixtureSpecOptions): ReplicaSpec {
  const replicaId = options.overrides?.replicaId ?? uniqueReplicaId(options.fixture.replace(/^app-/, ''));
  const file = path.join(FIXTURES_DIR, `${options.fixture}.js`);
  const port = options.port ?? null;
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env };
  if (port !== null) env.PORT = String(port);
  return {
    replicaId,
    role: 'app',
    deploymentId: 'dep_test',
    serviceInstanceId: 'svc_test',
    artifact: options.artifact ?? { kind: 'release', releaseDir: FIXTURES_DIR },
    command: options.command ? options.command(file) : [process.execPath, file],
    env,
    port,
    restart: { policy: 'ON_FAILURE', maxRetries: 2 },
    liveness: null,
    stopGraceMs: 2000,
    logFile: path.join(options.logDir, `${replicaId}.log`),
    ...options.overrides,
  };
}
