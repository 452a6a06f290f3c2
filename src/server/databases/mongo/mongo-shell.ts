import type { DatabaseSpec } from '../../../core/database.js';
import { WharfError } from '../../../core/errors.js';
import { runTool, toolEnv } from '../tools.js';

// Scripts run in mongosh against one server. The credentials reach the script as environment
// variables (mongosh is Node.js: process.env), never in argv; the script itself carries no
// secret. A script reports by printing one JSON line last.

export interface MongoAccount {
  user: string;
  password: string;
}

export function mongoAccount(spec: DatabaseSpec): MongoAccount {
  const user = spec.credentials.MONGO_INITDB_ROOT_USERNAME;
  const password = spec.credentials.MONGO_INITDB_ROOT_PASSWORD;
  if (!user || !password) {
    throw new WharfError('INTERNAL', `Database ${spec.name} lacks MONGO_INITDB_ROOT_USERNAME or MONGO_INITDB_ROOT_PASSWORD in its credentials`);
  }
  return { user, password };
}

/** Authenticates as the root user first; `body` then runs with `admin` (the admin db) in scope. */
export const authenticated = (body: string) => `(() => {
  const admin = db.getSiblingDB('admin');
  admin.auth(process.env.WHARF_MONGO_USER, process.env.WHARF_MONGO_PASSWORD);
  ${body}
})();`;

/** Runs `script` with mongosh; returns the JSON it printed last. */
export async function mongoScript<T>(shell: string, spec: DatabaseSpec, script: string, what: string, timeoutMs = 10 * 60_000): Promise<T> {
  const account = mongoAccount(spec);
  const out = await runTool([shell, '--quiet', '--norc', '--host', '127.0.0.1', '--port', String(spec.port), '--eval', script], {
    cwd: spec.dataDir,
    env: toolEnv({ WHARF_MONGO_USER: account.user, WHARF_MONGO_PASSWORD: account.password }),
    timeoutMs,
  });
  const last = out.stdout.trim().split('\n').pop() ?? '';
  if (out.exitCode !== 0) {
    const tail = (out.stderr || out.stdout).trim().split('\n').slice(-3).join(' ');
    throw new WharfError('RUNTIME_ERROR', `MongoDB ${spec.name}: ${what} failed: ${tail}`, {
      hint: 'Check that the database server is running (wharf status) and look at its logs.',
    });
  }
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new WharfError('RUNTIME_ERROR', `MongoDB ${spec.name}: ${what} printed no result (${last.slice(0, 200)})`);
  }
}
