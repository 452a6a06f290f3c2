import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LogLineView } from '../../src/core/api.js';
import { startWharf, waitFor, type Wharf } from '../helpers/wharf.js';

// Python apps on the process runtime, as Railway runs them: a worker's prints reach `wharf logs`
// while it runs (PYTHONUNBUFFERED=1 unless the user set it: a pipe makes Python buffer 8 KiB),
// and a cron service's run output is in `wharf logs` for that service.

const WORKER_PY = `import itertools, os, time
print("PYTHONUNBUFFERED=" + os.environ.get("PYTHONUNBUFFERED", "<unset>"))
for n in itertools.count(1):
    print(f"tick {n}")
    time.sleep(0.2)
`;

const CRON_PY = `print("checked 3 statuses")
`;

let wharf: Wharf;
let workerDir: string;
let cronDir: string;

async function app(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(wharf.home, `src-${name}`);
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(dir, file), text);
  return dir;
}

async function logMessages(service: string, cwd: string): Promise<string[]> {
  const logs = await wharf.cli(['logs', '-s', service, '--json'], { cwd });
  assert.equal(logs.code, 0, logs.stderr);
  return logs.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as LogLineView).m);
}

before(async () => {
  wharf = await startWharf();
  workerDir = await app('pyworker', {
    'worker.py': WORKER_PY,
    'railway.json': JSON.stringify({ deploy: { startCommand: 'python3 worker.py' } }),
  });
  cronDir = await app('pycron', {
    'check.py': CRON_PY,
    'railway.json': JSON.stringify({ deploy: { startCommand: 'python3 check.py', cronSchedule: '0 3 * * *', restartPolicyType: 'NEVER' } }),
  });
  const init = await wharf.cli(['init', '--name', 'py'], { cwd: workerDir });
  assert.equal(init.code, 0, init.stderr);
  const link = await wharf.cli(['link', 'py'], { cwd: cronDir });
  assert.equal(link.code, 0, link.stderr);
});
after(async () => {
  await wharf.cleanup();
});

test("a Python worker's prints reach wharf logs while it runs (PYTHONUNBUFFERED=1 by default)", async () => {
  const up = await wharf.cli(['up', '--kind', 'worker', '--service', 'worker'], { cwd: workerDir });
  assert.equal(up.code, 0, up.stdout + up.stderr);
  let seen: string[] = [];
  await waitFor(
    async () => {
      seen = await logMessages('worker', workerDir);
      return seen.includes('tick 3');
    },
    { timeoutMs: 15_000, what: () => `"tick 3" in the worker's logs (saw: ${JSON.stringify(seen.slice(-5))})` },
  );
  assert.ok(seen.includes('PYTHONUNBUFFERED=1'), seen.join('\n'));
});

test("the user's own PYTHONUNBUFFERED wins over the default", async () => {
  const set = await wharf.cli(['variables', '-s', 'worker', '--set', 'PYTHONUNBUFFERED=yes'], { cwd: workerDir });
  assert.equal(set.code, 0, set.stdout + set.stderr);
  let seen: string[] = [];
  await waitFor(
    async () => {
      seen = await logMessages('worker', workerDir);
      return seen.includes('PYTHONUNBUFFERED=yes');
    },
    { timeoutMs: 30_000, what: () => `the redeployed worker to print PYTHONUNBUFFERED=yes (saw: ${JSON.stringify(seen.slice(-5))})` },
  );
});

test("a cron run's output shows in wharf logs for the cron service", async () => {
  const up = await wharf.cli(['up', '-s', 'nightly'], { cwd: cronDir });
  assert.equal(up.code, 0, up.stdout + up.stderr);
  const run = await wharf.cli(['cron', 'run', 'nightly'], { cwd: cronDir });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /checked 3 statuses/);

  assert.ok((await logMessages('nightly', cronDir)).includes('checked 3 statuses'), 'wharf logs --json shows the run');
  const text = await wharf.cli(['logs', '-s', 'nightly'], { cwd: cronDir });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /checked 3 statuses/);
});
