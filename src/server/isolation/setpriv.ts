import { existsSync } from 'node:fs';
import { WharfError } from '../../core/errors.js';
import type { RunAs } from '../../core/runtime.js';

// For the one spawner that cannot change users itself the way Node's spawn does: node-pty sets
// uid and gid but keeps the supplementary groups (root's), so `wharf exec -it` goes through
// util-linux's setpriv, which clears them, then execs the command (no shell in between).

const CANDIDATES = ['/usr/bin/setpriv', '/bin/setpriv'];

export function asAppUser(argv: readonly string[], user: RunAs): string[] {
  const setpriv = CANDIDATES.find((candidate) => existsSync(candidate));
  if (!setpriv) {
    throw new WharfError('RUNTIME_ERROR', 'setpriv is needed to run an interactive command as the app\'s user', {
      hint: 'Install util-linux (`apt-get install util-linux`), or run the command without a terminal: `wharf run --remote -- …`.',
    });
  }
  return [setpriv, `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', ...argv];
}
