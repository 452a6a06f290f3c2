import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CliContext } from './context.js';
import { insertCommandSeparator } from './pass-through.js';
import { buildProgram } from './program.js';

const program = buildProgram(new CliContext());
const sep = (line: string) => insertCommandSeparator(program, line.split(' ')).join(' ');

test('run/exec: everything from the command on is the command’s', () => {
  const cases: Array<[string, string]> = [
    ['run python -m app.cron.check', 'run -- python -m app.cron.check'],
    ['run celery -A core inspect active', 'run -- celery -A core inspect active'],
    ['run python manage.py migrate --fake-initial', 'run -- python manage.py migrate --fake-initial'],
    // Wharf's options before the command stay Wharf's, with their values.
    ['-s web run --remote node -e x', '-s web run --remote -- node -e x'],
    ['run -s web -e staging -it bash', 'run -s web -e staging -it -- bash'],
    ['run --service=web node x.js -s y', 'run --service=web -- node x.js -s y'],
    ['exec -it bash -l', 'exec -it -- bash -l'],
    // Already separated, or nothing to separate, or another command: unchanged.
    ['run -- node -e x', 'run -- node -e x'],
    ['run --remote', 'run --remote'],
    ['logs -s web -f', 'logs -s web -f'],
    ['variables set A=1 -e staging', 'variables set A=1 -e staging'],
  ];
  for (const [given, expected] of cases) assert.equal(sep(given), expected, given);
});
