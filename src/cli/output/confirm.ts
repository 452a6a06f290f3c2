import readline from 'node:readline/promises';
import { WharfError } from '../../core/errors.js';

/** Asks y/N on a terminal; without one, refuses unless --yes was given (never hangs a script). */
export async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) {
    throw new WharfError('BAD_REQUEST', `${question} Refusing without confirmation`, { hint: 'Pass --yes to confirm when not running in a terminal.' });
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new WharfError('BAD_REQUEST', 'cancelled');
  } finally {
    rl.close();
  }
}
