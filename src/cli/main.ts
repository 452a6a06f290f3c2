import { CommanderError } from 'commander';
import { isWharfError } from '../core/errors.js';
import { CliContext } from './context.js';
import { insertCommandSeparator } from './pass-through.js';
import { buildProgram } from './program.js';

// `wharf`: this file only parses argv with the command tree (./program.ts) and turns errors into
// text and exit codes (0 ok, 1 failed, 130 interrupted).

const program = buildProgram(new CliContext());

process.on('SIGINT', () => process.exit(130));

try {
  await program.parseAsync(insertCommandSeparator(program, process.argv.slice(2)), { from: 'user' });
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (isWharfError(error)) {
    console.error(`error: ${error.message}`);
    if (error.hint) console.error(`hint: ${error.hint}`);
  } else {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exit(1);
}
