import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Command } from 'commander';
import { readRailwayTable } from '../../test/helpers/railway-table.js';
import { CliContext } from './context.js';
import { insertCommandSeparator } from './pass-through.js';
import { buildProgram } from './program.js';

// docs/cli.md's Railway → Wharf table is checked against the CLI's command tree: every Wharf
// command in it names commands that exist, options they (or their parents) take, and as many
// arguments as they accept. (test/e2e/railway-cli.test.ts runs the rows on a real server.)

/** What is wrong with `wharf <argv>` for this command tree, or null. */
function problem(program: Command, argv: string[]): string | null {
  const args = insertCommandSeparator(program, argv);
  const chain = [program];
  let cmd = program;
  let operands = 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      operands++;
      break;
    }
    if (arg.startsWith('-') && arg !== '-') {
      const name = arg.startsWith('--') ? arg.split('=')[0]! : arg.slice(0, 2);
      const option = chain.flatMap((c) => c.options).find((o) => o.long === name || o.short === name);
      if (!option) return `'${cmd.name()}' has no option ${name}`;
      if ((option.required || option.optional) && !arg.includes('=') && (arg.startsWith('--') || arg.length === 2)) i++;
      continue;
    }
    const sub = operands === 0 ? cmd.commands.find((c) => c.name() === arg || c.aliases().includes(arg)) : undefined;
    if (sub) {
      chain.push(sub);
      cmd = sub;
    } else operands++;
  }
  const declared = cmd.registeredArguments;
  const required = declared.filter((a) => a.required).length;
  if (operands < required) return `'${cmd.name()}' needs ${required} argument(s), got ${operands}`;
  if (operands > declared.length && !declared.at(-1)?.variadic) return `'${cmd.name()}' takes ${declared.length} argument(s), got ${operands}`;
  return null;
}

const program = buildProgram(new CliContext());
const rows = readRailwayTable(path.resolve(import.meta.dirname, '../..'));

test('every Wharf command in docs/cli.md’s Railway table exists in the CLI, with its options and arguments', () => {
  assert.ok(rows.length >= 20, `the table has ${rows.length} rows`);
  const problems = rows.map((r) => [r.wharf, problem(program, r.argv)] as const).filter(([, p]) => p !== null);
  assert.deepEqual(problems, []);
});

test('the table has the commands the seeds type', () => {
  const railway = new Set(rows.map((r) => r.railway));
  for (const expected of [
    'railway variables set JWT_SECRET=change-me',
    'railway variables --kv',
    'railway variables import < env_backup.txt',
    'railway rollback --deployment-id ID',
    'railway logs --tail',
    'railway list',
    'railway service web',
    'railway deployments list',
    'railway --version',
    'railway run python -m app.cron.check',
    'railway run celery -A core inspect active',
    'railway run python manage.py migrate --fake-initial',
  ]) {
    assert.ok(railway.has(expected), `docs/cli.md maps \`${expected}\``);
  }
});

test('the check catches what does not exist', () => {
  assert.match(problem(program, ['deployments', 'lst']) ?? '', /takes 0 argument/);
  assert.match(problem(program, ['logs', '--nope']) ?? '', /no option --nope/);
  assert.match(problem(program, ['rollback', '--deployment']) ?? '', /no option/);
  assert.match(problem(program, ['link']) ?? '', /needs 1 argument/);
  assert.equal(problem(program, ['run', 'python', '-m', 'x']), null);
});
