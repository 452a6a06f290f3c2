import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { spawn as spawnPty, type IPty } from 'node-pty';
import WebSocket from 'ws';
import { wharfPaths } from '../../src/core/paths.js';
import { adminToken, copyExample, REPO, startWharf, waitFor, type Wharf } from '../helpers/wharf.js';

// `wharf exec -it` / `wharf run --remote -it`: the CLI runs inside a real pseudo-terminal here
// (node-pty), as it would in a user's terminal; the command gets its own pty on the server.

const CLI = path.join(REPO, 'bin/wharf.js');
let wharf: Wharf;
let dir: string;
const terminals: IPty[] = [];

before(async () => {
  wharf = await startWharf();
  dir = await copyExample('node-web', wharf.home);
  const init = await wharf.cli(['init', '--name', 'tty'], { cwd: dir });
  assert.equal(init.code, 0, init.stderr);
  const up = await wharf.cli(['up'], { cwd: dir });
  assert.equal(up.code, 0, up.stdout + up.stderr);
});

after(async () => {
  for (const t of terminals) {
    try {
      t.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
  await wharf.cleanup();
});

interface Terminal {
  pty: IPty;
  output(): string;
  /** Waits until the output after `from` matches. */
  see(pattern: RegExp, from?: number): Promise<void>;
  type(text: string): void;
  exit: Promise<number>;
}

function terminal(args: string[], opts: { env?: Record<string, string>; cols?: number; rows?: number } = {}): Terminal {
  const pty = spawnPty(process.execPath, [CLI, ...args], {
    name: 'xterm-256color',
    cols: opts.cols ?? 80,
    rows: opts.rows ?? 24,
    cwd: dir,
    env: { ...wharf.env, TERM: 'xterm-256color', ...opts.env },
  });
  terminals.push(pty);
  let out = '';
  pty.onData((d) => (out += d));
  const exit = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
  return {
    pty,
    output: () => out,
    see: async (pattern, from = 0) => void (await waitFor(() => pattern.test(out.slice(from)), { timeoutMs: 20_000, what: () => `${pattern} in the terminal; it shows:\n${out}` })),
    type: (text) => pty.write(text),
    exit,
  };
}

/** Pids whose argv is exactly `argv` (to see that a hung-up program is gone). */
function pidsRunning(argv: string[]): number[] {
  const wanted = argv.join('\0') + '\0';
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8') === wanted;
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('wharf exec -it -- sh: a real terminal on the server, keystrokes, size, Ctrl-C, exit code, audit', async () => {
  const t = terminal(['exec', '-it', '--', 'sh'], { cols: 91, rows: 31 });

  let mark = t.output().length;
  t.type('echo hello-$((1+2))\r');
  await t.see(/hello-3/, mark);

  mark = t.output().length;
  t.type('tty\r');
  await t.see(/^\/dev\/pts\/\d+\r?$/m, mark);

  mark = t.output().length;
  t.type('stty size\r');
  await t.see(/^31 91\r?$/m, mark);

  mark = t.output().length;
  t.pty.resize(120, 40); // SIGWINCH for the CLI → a resize message → the remote pty
  await waitFor(
    async () => {
      const from = t.output().length;
      t.type('stty size\r');
      await waitFor(() => /^\d+ \d+\r?$/m.test(t.output().slice(from)), { timeoutMs: 5_000, what: 'stty size' });
      return /^40 120\r?$/m.test(t.output().slice(from));
    },
    { timeoutMs: 20_000, what: () => `the new size in the remote pty; it shows:\n${t.output().slice(mark)}` },
  );

  // Ctrl-C is a byte for the remote terminal: it interrupts the remote sleep, not the CLI.
  mark = t.output().length;
  t.type('sleep 3017; echo not-interrupted\r');
  await waitFor(() => pidsRunning(['sleep', '3017']).length > 0, { timeoutMs: 10_000, what: 'the remote sleep' });
  t.type('\x03');
  t.type('echo after-$((2*4))\r');
  await t.see(/after-8/, mark);
  assert.doesNotMatch(t.output().slice(mark), /^not-interrupted\r?$/m);

  t.type('exit 5\r');
  assert.equal(await t.exit, 5, t.output());

  const db = new Database(wharfPaths(wharf.home).database, { readonly: true });
  try {
    const rows = db.prepare("SELECT actor, action, target, detail FROM audit_log WHERE action = 'run'").all() as Array<{ target: string; detail: string }>;
    const entry = rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> })).find((r) => r.detail.tty === true);
    assert.ok(entry, JSON.stringify(rows));
    assert.equal(entry.target, 'tty/production/web');
    assert.deepEqual(entry.detail.command, ['sh']);
    assert.deepEqual(Object.keys(entry.detail).sort(), ['command', 'deploymentId', 'jobId', 'token', 'tty']);
    assert.doesNotMatch(JSON.stringify(entry), /PATH|RAILWAY_|WHARF_/);
  } finally {
    db.close();
  }
});

test('run --remote -it passes signals as exit codes, and hanging up the CLI hangs up the remote program', async () => {
  const t = terminal(['run', '--remote', '-it', '--', 'sh', '-c', 'echo ready; sleep 3471']);
  await t.see(/ready/);
  await waitFor(() => pidsRunning(['sleep', '3471']).length > 0, { timeoutMs: 10_000, what: 'the remote sleep' });
  t.pty.kill('SIGKILL'); // the CLI dies without a word: the server sees the socket close
  await t.exit;
  await waitFor(() => pidsRunning(['sleep', '3471']).length === 0, { timeoutMs: 10_000, what: 'the remote program to be hung up' });

  const killed = terminal(['exec', '-it', '--', 'sh', '-c', 'kill -TERM $$']);
  assert.equal(await killed.exit, 128 + 15, killed.output());
});

test('a refused token gets 401 before any upgrade, and the CLI exits 1 with the API error', async () => {
  const url = `ws://127.0.0.1:${wharf.apiPort}/v1/projects/tty/environments/production/services/web/exec?cmd=sh`;
  const status = (headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      ws.once('open', () => {
        ws.terminate();
        reject(new Error('upgraded'));
      });
      ws.once('error', () => undefined);
    });
  assert.equal(await status({ authorization: 'Bearer wharf_not-a-token' }), 401);
  assert.equal(await status({}), 401);
  assert.equal(await status({ authorization: `Bearer ${await adminToken(wharf)}` }).catch((e: Error) => e.message), 'upgraded');

  const t = terminal(['exec', '-it', '--', 'sh'], { env: { WHARF_TOKEN: 'wharf_not-a-token' } });
  assert.equal(await t.exit, 1, t.output());
  assert.match(t.output(), /error: the API token is not valid/);

  const missing = terminal(['exec', '-it', '--', 'no-such-program-here']);
  assert.equal(await missing.exit, 1, missing.output());
  assert.match(missing.output(), /cannot run 'no-such-program-here'/);
});

test('-it without a terminal on the CLI side is refused with a hint to drop it', async () => {
  const result = await wharf.cli(['exec', '-it', '--', 'sh'], { cwd: dir });
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stderr, /-it needs a terminal/);
  assert.match(result.stderr, /Drop -it/);
  const local = await wharf.cli(['run', '-it', '--', 'true'], { cwd: dir });
  assert.equal(local.code, 1);
  assert.match(local.stderr, /-it is for commands on the server/);
});

test('stopping the control plane hangs up open sessions instead of waiting for them', async () => {
  const t = terminal(['exec', '-it', '--', 'sh', '-c', 'echo ready; sleep 3529']);
  await t.see(/ready/);
  await wharf.stopServer('SIGTERM');
  assert.equal(await t.exit, 1, t.output());
  assert.match(t.output(), /closed before the command ended/);
  await waitFor(() => pidsRunning(['sleep', '3529']).length === 0, { timeoutMs: 10_000, what: 'the remote program to be hung up' });
  await wharf.startServer();
});
