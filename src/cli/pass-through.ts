import type { Command, Option } from 'commander';

// `wharf run python manage.py migrate --fake-initial` as Railway users type it: everything from
// the command's first word on belongs to the command, so `-e`, `-s`, `--remote` after it are its
// own and not Wharf's. Commander's own way (enablePositionalOptions + passThroughOptions) would
// also stop `wharf logs -s web` from working, since it makes global options positional for every
// command; so the separator `--` is put in before parsing, for these commands only.

/** Commands whose variadic argument is a command line of its own. */
const PASS_THROUGH = new Set(['run', 'exec']);

/** `args` (without node and the script) with `--` before a pass-through command's command line. */
export function insertCommandSeparator(program: Command, args: string[]): string[] {
  const at = firstOperand(program.options, args, 0);
  const name = args[at];
  const sub = name === undefined ? undefined : program.commands.find((c) => c.name() === name || c.aliases().includes(name));
  if (!sub || !PASS_THROUGH.has(sub.name())) return args;
  const start = firstOperand([...program.options, ...sub.options], args, at + 1);
  if (start >= args.length || args[start] === '--') return args;
  return [...args.slice(0, start), '--', ...args.slice(start)];
}

/** Index of the first argument from `from` on that is not one of `options` (or its value), or `--`. */
function firstOperand(options: readonly Option[], args: string[], from: number): number {
  for (let i = from; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--' || arg === '-' || !arg.startsWith('-')) return i;
    const takesValue = (o: Option | undefined) => o !== undefined && (o.required || o.optional);
    if (arg.startsWith('--')) {
      if (!arg.includes('=') && takesValue(options.find((o) => o.long === arg))) i++;
      continue;
    }
    // -s web, -sweb, or flags together (-it): only a lone short option with a value eats the next.
    if (arg.length === 2 && takesValue(options.find((o) => o.short === arg))) i++;
  }
  return args.length;
}
