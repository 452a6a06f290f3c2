import { WharfError } from '../../../core/errors.js';
import type { ExecSession, ExecSpec } from '../../../core/runtime.js';
import { releaseDirOf } from './release-of.js';
import { findExecutable, startPtyJob } from './pty-job.js';
import { prepareVolumes } from './volumes.js';
import { envForWorkDir, freshWorkDir, jobWorkDir, removeWorkDir, type WorkDirOptions } from './work-dirs.js';

// `wharf exec -it` on the process runtime: a pty job in a fresh working copy of the release, as
// the service's user; the copy goes when the program ends.

export async function startExecSession(spec: ExecSpec, work: WorkDirOptions, volumesDir: string): Promise<ExecSession> {
  const release = releaseDirOf(spec.artifact, `the artifact of ${spec.execId}`);
  // Checked before anything is made, so a typo is a clear error rather than a dead terminal.
  if (!findExecutable(spec.command[0]!, release, spec.env.PATH)) {
    throw new WharfError('BAD_REQUEST', `cannot run '${spec.command[0]}': not found in the service's build or on the server's PATH`, {
      hint: 'Check the name; for shell syntax run `sh -c …` yourself.',
    });
  }
  const user = spec.user ?? null;
  const volumeEnv = await prepareVolumes(volumesDir, spec.volumes, user);
  const cwd = await freshWorkDir(release, jobWorkDir(work.appsDir, spec.execId), user, work);
  try {
    const job = startPtyJob({ command: spec.command, cwd, env: envForWorkDir({ ...spec.env, ...volumeEnv }, cwd, user), user, cols: spec.cols, rows: spec.rows, term: spec.term, timeoutMs: spec.timeoutMs });
    const exited = job.exited.finally(() => removeWorkDir(cwd));
    // Output before the caller listens (a WebSocket still upgrading) is kept for it, in order.
    const early: Buffer[] = [];
    let listener: ((data: Buffer) => void) | null = null;
    job.onData((data) => (listener ? listener(data) : early.push(data)));
    return {
      write: (data) => job.write(data),
      resize: (cols, rows) => job.resize(cols, rows),
      onData: (next) => {
        listener = next;
        for (const data of early.splice(0)) next(data);
      },
      pause: () => job.pause(),
      resume: () => job.resume(),
      hangUp: () => job.hangUp(),
      exited,
    };
  } catch (error) {
    await removeWorkDir(cwd);
    throw error;
  }
}
