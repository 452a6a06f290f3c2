import { existsSync } from 'node:fs';
import { WharfError } from '../../core/errors.js';
import type { RunAs } from '../../core/runtime.js';

// util-linux's setpriv changes user, group and supplementary groups, then execs the command
// (same pid, no shell in between). For spawners that cannot do it themselves the way Node's spawn
// does: node-pty sets uid and gid but keeps root's groups (`wharf exec -it`), and a database's
// server binaries must run as the database's own user.

const CANDIDATES = ['/usr/bin/setpriv', '/bin/setpriv'];

/** argv that runs `argv` as `user`; `why` says in the error what needed it. */
export function withSetpriv(argv: readonly string[], user: RunAs, why: { message: string; hint: string }): string[] {
  const setpriv = CANDIDATES.find((candidate) => existsSync(candidate));
  if (!setpriv) throw new WharfError('RUNTIME_ERROR', why.message, { hint: why.hint });
  return [setpriv, `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', ...argv];
}

export function asAppUser(argv: readonly string[], user: RunAs): string[] {
  return withSetpriv(argv, user, {
    message: "setpriv is needed to run an interactive command as the app's user",
    hint: 'Install util-linux (`apt-get install util-linux`), or run the command without a terminal: `wharf run --remote -- …`.',
  });
}
