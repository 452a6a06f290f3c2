import fs from 'node:fs';

// Signals to a whole process group. The app is spawned detached, so its pid is its
// group id, and everything it starts (unless it detaches itself) dies with it.
// "Alive" ignores zombies: an orphan nobody reaps yet is gone for every purpose here.

const HAS_PROC = fs.existsSync('/proc/self/stat');

export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Fields of /proc/<pid>/stat after the command name: state, ppid, pgrp. */
function procStat(pid: number | string): { state: string; pgrp: number } | null {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, pgrp: Number(rest[2]) };
  } catch {
    return null;
  }
}

/** The process exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!HAS_PROC) return true;
  const stat = procStat(pid);
  return stat !== null && stat.state !== 'Z';
}

/** Some process of the group is alive (not a zombie). */
export function groupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  if (!HAS_PROC) return true;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(entry);
    if (stat && stat.pgrp === pgid && stat.state !== 'Z') return true;
  }
  return false;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until `done()` or the deadline; polls every `stepMs`. Returns whether done. */
export async function pollUntil(done: () => boolean, timeoutMs: number, stepMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(stepMs, Math.max(1, deadline - Date.now())));
  }
  return true;
}

/** SIGTERM the group, wait up to graceMs for it to empty, then SIGKILL what is left. */
export async function terminateGroup(pgid: number, graceMs: number): Promise<'empty' | 'killed'> {
  if (!groupAlive(pgid)) return 'empty';
  if (graceMs > 0) {
    signalGroup(pgid, 'SIGTERM');
    if (await pollUntil(() => !groupAlive(pgid), graceMs)) return 'empty';
  }
  signalGroup(pgid, 'SIGKILL');
  await pollUntil(() => !groupAlive(pgid), 2000);
  return 'killed';
}
