import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

// Wharf never builds a shell string: this scan fails the suite if one creeps in.
const FORBIDDEN: Array<[RegExp, string]> = [
  [/\bexecSync\s*\(/, 'execSync'],
  // A call with an argument; not `exec()` named in prose, nor a method declared as
  // `exec(spec: ExecSpec)` (Runtime.exec runs argv through a driver, never a shell).
  [/(?<![.\w`])exec\s*\((?!\)|\s*\w+\??\s*:)/, 'child_process.exec'],
  [/\bchild_process['"]?\)?\.exec\b/, 'child_process.exec'],
  [/import\s*\{[^}]*\bexec\b[^}]*\}\s*from\s*['"](node:)?child_process['"]/, 'import of exec'],
  [/shell\s*:\s*true/, 'shell: true'],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|js|mjs|cjs)$/.test(name) && !name.endsWith('.test.ts') ? [full] : [];
  });
}

test('no source file runs a command through a shell string', () => {
  const offences: string[] = [];
  for (const file of sourceFiles(path.resolve('src'))) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, index) => {
      for (const [pattern, what] of FORBIDDEN) {
        if (pattern.test(line)) offences.push(`${path.relative(process.cwd(), file)}:${index + 1} uses ${what}`);
      }
    });
  }
  assert.deepEqual(offences, []);
});

test('the scan itself catches a forbidden call', () => {
  const sample = "import { exec } from 'node:child_process';\nspawn('x', [], { shell: true });";
  const hits = FORBIDDEN.filter(([p]) => sample.split('\n').some((l) => p.test(l)));
  assert.ok(hits.length >= 2);
  const call = FORBIDDEN.find(([, what]) => what === 'child_process.exec')![0];
  assert.ok(call.test("exec('ls ' + dir, cb);") && call.test('exec(command)'), 'a call is caught');
  assert.ok(!call.test('exec(spec: ExecSpec): Promise<ExecSession>;') && !call.test('// through exec() on a pty'), 'declarations and mentions are not');
});
