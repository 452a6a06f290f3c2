import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { isWharfError } from '../../src/core/errors.js';
import { registerImport } from '../../src/cli/commands/import.js';
import { registerValidate } from '../../src/cli/commands/validate.js';
import { parseWharfToml } from '../../src/shared/config/wharf-toml.js';

// `wharf validate` and `wharf import`, offline, through commander as main.ts wires them.

async function run(args: string[]): Promise<string> {
  const program = new Command('wharf').option('-s, --service <name>').option('--json').exitOverride();
  registerValidate(program);
  registerImport(program);
  const lines: string[] = [];
  const log = console.log;
  const write = process.stdout.write;
  console.log = (...parts: unknown[]) => void lines.push(parts.join(' '));
  process.stdout.write = ((chunk: string) => (lines.push(String(chunk).trimEnd()), true)) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'wharf', ...args]);
  } finally {
    console.log = log;
    process.stdout.write = write;
  }
  return lines.join('\n');
}

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'wharf-config-cli-'));
}

test('validate: ok with warnings, --json, and the default project file', async () => {
  const dir = await tempDir();
  const cwd = process.cwd();
  try {
    const file = path.join(dir, 'render.yaml');
    await fs.writeFile(file, 'services:\n  - type: web\n    name: api\n    region: oregon\n    startCommand: node a.js\n');
    const text = await run(['validate', file]);
    assert.match(text, /^ok: /);
    assert.match(text, /services: api \(web\)/);
    assert.match(text, /render\.yaml:4:5 services\[0\]\.region: Wharf runs on your own machines; no regions/);
    const json = JSON.parse(await run(['--json', 'validate', file])) as { ok: boolean; file: string; warnings: unknown[]; spec: { services: Record<string, unknown> } };
    assert.equal(json.ok, true);
    assert.equal(json.warnings.length, 1);
    assert.deepEqual(Object.keys(json.spec.services), ['api']);
    process.chdir(dir);
    assert.match(await run(['validate']), /^ok: render\.yaml/);
  } finally {
    process.chdir(cwd);
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('validate: an invalid file throws INVALID_CONFIG with its position; no file throws NOT_FOUND', async () => {
  const dir = await tempDir();
  const cwd = process.cwd();
  try {
    const file = path.join(dir, 'wharf.toml');
    await fs.writeFile(file, '[services.web]\nstartComand = "x"\n');
    await assert.rejects(run(['validate', file]), (err) => isWharfError(err) && err.code === 'INVALID_CONFIG' && err.message.endsWith("wharf.toml:2:1 services.web.startComand: unknown field — did you mean 'startCommand'?"));
    await fs.rm(file);
    process.chdir(dir);
    await assert.rejects(run(['validate']), (err) => isWharfError(err) && err.code === 'NOT_FOUND' && !!err.hint);
  } finally {
    process.chdir(cwd);
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('import: writes a wharf.toml that validates, lists what was not mapped, refuses to overwrite', async () => {
  const dir = await tempDir();
  try {
    const source = path.join(dir, 'Procfile');
    const out = path.join(dir, 'wharf.toml');
    await fs.writeFile(source, 'web: node a.js\nqueue_worker: node q.js\nrelease: node migrate.js\n');
    const text = await run(['import', source, '--out', out]);
    assert.match(text, /^wrote /);
    assert.match(text, /Procfile:2:1 queue_worker: process type name 'queue_worker' is not a Wharf name/);
    const written = await fs.readFile(out, 'utf8');
    assert.match(written, /^# Imported from .*Procfile/);
    assert.match(written, /# +.*queue_worker/);
    const { spec } = parseWharfToml('wharf.toml', written);
    assert.equal(spec.services.web!.preDeployCommand, 'node migrate.js');
    assert.equal(spec.services['queue-worker']!.kind, 'worker');
    await assert.rejects(run(['import', source, '--out', out]), (err) => isWharfError(err) && err.code === 'CONFLICT' && /--force/.test(err.hint ?? ''));
    await fs.writeFile(source, 'web: node b.js\nworker: node w.js\n');
    await run(['import', source, '--out', out, '--force']);
    assert.equal(parseWharfToml('wharf.toml', await fs.readFile(out, 'utf8')).spec.services.web!.startCommand, 'node b.js');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
