import type { RunAs } from '../../../core/runtime.js';
import { WharfError } from '../../../core/errors.js';
import type { VolumeJobs } from './volume-jobs.js';

// A replica runs as a uid:gid; the images name their server's user (postgres is 999 in the
// official image, 100 in Debian's), so the numbers are read from the image once per image ID.

const cache = new Map<string, RunAs>();

export async function imageUser(jobs: VolumeJobs, image: string, user: string): Promise<RunAs> {
  const key = `${image} ${user}`;
  const known = cache.get(key);
  if (known) return known;
  const { output } = await jobs.runOk({ image, user: 'root', command: ['id', '-u', user], volumes: [], timeoutMs: 60_000 }, `looking up ${user} in ${image}`);
  const { output: group } = await jobs.runOk({ image, user: 'root', command: ['id', '-g', user], volumes: [], timeoutMs: 60_000 }, `looking up ${user} in ${image}`);
  const uid = Number(output.trim());
  const gid = Number(group.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new WharfError('RUNTIME_ERROR', `the image ${image} has no user ${user}`, { hint: 'Use an image of the engine built like the official one.' });
  const found = { uid, gid };
  cache.set(key, found);
  return found;
}
