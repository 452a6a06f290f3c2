import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { WharfError } from '../core/errors.js';

// WHARF_ROUTER_NOFILE: the descriptor limit the router is started with. Node cannot call
// setrlimit, so the router is started through util-linux's `prlimit --nofile=N:N -- node …`
// (it sets the limit, then execs: the router keeps its pid). Without the setting nothing is
// wrapped: Node raises its soft limit to the inherited hard one by itself, and the router sizes
// its connection caps from that (src/router/limits.ts). Lowering always works; raising above
// the inherited hard limit needs CAP_SYS_RESOURCE, which most containers withhold even from root.

export function nofileWrapper(env: Record<string, string | undefined>, searchPath = env.PATH ?? ''): string[] {
  const raw = env.WHARF_ROUTER_NOFILE;
  if (raw === undefined || raw === '') return [];
  const wanted = Number(raw);
  if (!Number.isInteger(wanted) || wanted < 64) {
    throw new WharfError('INVALID_CONFIG', `WHARF_ROUTER_NOFILE must be an integer of at least 64, got '${raw}'`, {
      hint: 'Unset it to keep the inherited limit, or set e.g. WHARF_ROUTER_NOFILE=65536.',
    });
  }
  const prlimit = findExecutable('prlimit', searchPath);
  if (prlimit === null) {
    throw new WharfError('INVALID_CONFIG', 'WHARF_ROUTER_NOFILE is set but `prlimit` (util-linux) is not installed', {
      hint: 'Install util-linux, or unset WHARF_ROUTER_NOFILE and raise the limit where Wharf is started (systemd `LimitNOFILE=`, `ulimit -n`).',
    });
  }
  return [prlimit, `--nofile=${wanted}:${wanted}`, '--'];
}

function findExecutable(name: string, searchPath: string): string | null {
  for (const dir of [...searchPath.split(path.delimiter), '/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return null;
}
