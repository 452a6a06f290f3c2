import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { entryPath, nodeEntryArgv } from '../../../core/entrypoint.js';
import { WharfError } from '../../../core/errors.js';
import { KEY_FILE_ENV, sealSpec } from '../../../supervisor/sealed-spec.js';
import type { SecretBox } from '../../../shared/secrets/secret-box.js';
import type { JobResult, JobSpec, ReplicaSpec, ReplicaState, ReplicaStatus, Runtime } from '../../../core/runtime.js';
import { pollUntil, processAlive } from '../../../supervisor/process-group.js';
import { replicaFiles, writeJsonAtomic, type StopRequest } from '../../../supervisor/status-file.js';
import { appGroupIsOurs, killLeftoverGroup, supervisorAlive } from './process-check.js';
import {
  listReplicaIds,
  readSpec,
  readStatus,
  replicaPath,
  specAgeMs,
  statusFromSpec,
  tailOf,
} from './replica-dir.js';
import { runJob } from './run-job.js';
import { envForWorkDir, freshWorkDir, removeWorkDir, replicaWorkDir, withJobWorkDir, type WorkDirOptions } from './work-dirs.js';

// Runs each replica as a plain process under its own supervisor (src/supervisor/main.ts).
// The supervisor is detached and outlives the control plane; this class only starts it,
// reads its status.json and signals it, so a new instance adopts what an old one started.

const END_STATES: ReadonlySet<ReplicaState> = new Set(['crashed', 'exited', 'stopped']);
const START_TIMEOUT_MS = 10_000;
const STATUS_LESS_LOST_AFTER_MS = 10_000;
const SUPERVISOR_EXTRA_GRACE_MS = 5_000;

export interface ProcessRuntimeOptions {
  /** Where replica directories live: wharfPaths().replicas. */
  replicasDir: string;
  /**
   * Seals each replica's environment and secret values in its spec.json, so no secret lies in
   * clear under the state directory; the supervisor opens it with the same key (file or env).
   */
  seal?: { box: SecretBox; keyFile: string };
  /**
   * Where replicas' and jobs' working copies of their release go (WHARF_APPS_DIR), and how they
   * are made (work-copy.ts). Apps run there as ReplicaSpec.user / JobSpec.user.
   */
  work: WorkDirOptions;
}

export class ProcessRuntime implements Runtime {
  readonly name = 'process';
  private readonly replicasDir: string;
  private readonly seal: ProcessRuntimeOptions['seal'];
  private readonly work: WorkDirOptions;

  constructor(options: ProcessRuntimeOptions) {
    this.replicasDir = options.replicasDir;
    this.seal = options.seal;
    this.work = options.work;
  }

  async start(spec: ReplicaSpec): Promise<ReplicaStatus> {
    const dir = replicaPath(this.replicasDir, spec.replicaId);
    const files = replicaFiles(dir);
    const previous = await readStatus(dir);
    if (previous && (await supervisorAlive(previous.supervisorPid, dir))) {
      throw new WharfError('CONFLICT', `replica ${spec.replicaId} is already running`, {
        hint: 'Stop and remove the replica first, or start it under a new replica id.',
      });
    }
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The app runs in its own copy of the release (as its user), never in the release itself.
    const user = spec.user ?? null;
    const running: ReplicaSpec = spec.inPlace ? spec : await this.inWorkCopy(spec, user);
    // spec.json first: a fresh spec keeps list() from calling the replica lost meanwhile.
    writeJsonAtomic(files.spec, sealSpec(running, this.seal?.box));
    fs.rmSync(files.status, { force: true });
    fs.rmSync(files.stopRequest, { force: true });

    const argv = nodeEntryArgv(entryPath(import.meta.url, '../../../supervisor/main'), [dir]);
    const logFd = fs.openSync(files.supervisorLog, 'a');
    let exited: string | null = null;
    let supervisorPid: number | undefined;
    try {
      const env = this.seal ? { ...process.env, [KEY_FILE_ENV]: this.seal.keyFile } : process.env;
      const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', logFd, logFd], env });
      supervisorPid = child.pid;
      child.once('error', (err) => (exited = `could not start: ${err.message}`));
      child.once('exit', (code, signal) => (exited = signal ? `killed by ${signal}` : `exited with code ${code}`));
      child.unref();
    } finally {
      fs.closeSync(logFd);
    }

    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const status = await readStatus(dir);
      if (status && supervisorPid !== undefined && status.supervisorPid === supervisorPid) return status;
      if (exited) break;
      await pollUntil(() => exited !== null, 25);
    }
    if (supervisorPid !== undefined && !exited) await this.killEverything(dir, supervisorPid);
    const why = exited ? `its supervisor ${exited}` : `no status within ${START_TIMEOUT_MS / 1000} s`;
    throw new WharfError('RUNTIME_ERROR', `replica ${spec.replicaId} did not start: ${why}`, {
      hint: `See ${files.supervisorLog} for the supervisor's own output.`,
      details: { supervisorLog: await tailOf(files.supervisorLog) },
    });
  }

  async list(): Promise<ReplicaStatus[]> {
    const statuses: ReplicaStatus[] = [];
    for (const replicaId of await listReplicaIds(this.replicasDir)) {
      const status = await this.observe(replicaPath(this.replicasDir, replicaId));
      if (status) statuses.push(status);
    }
    return statuses;
  }

  async stop(replicaId: string, opts: { graceMs: number }): Promise<void> {
    const dir = replicaPath(this.replicasDir, replicaId);
    const status = await readStatus(dir);
    if (!status) return;
    const graceMs = Math.max(0, opts.graceMs);
    const pid = status.supervisorPid;
    const supervised = pid !== null && (await supervisorAlive(pid, dir));
    if (supervised) {
      const request: StopRequest = { graceMs };
      writeJsonAtomic(replicaFiles(dir).stopRequest, request);
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* exited meanwhile */
      }
      const gone = await pollUntil(() => !processAlive(pid), graceMs + SUPERVISOR_EXTRA_GRACE_MS, 50);
      if (!gone) await this.killEverything(dir, pid);
    }
    // The supervisor is gone: whatever it left behind (or never got to stop) ends here.
    const latest = (await readStatus(dir)) ?? status;
    await this.killLeftoverApp(dir, latest, supervised ? 0 : graceMs);
    if (!END_STATES.has(latest.state)) {
      writeJsonAtomic(replicaFiles(dir).status, {
        ...latest,
        state: 'stopped',
        appPid: null,
        updatedAt: new Date().toISOString(),
        lastReason: latest.lastReason ?? 'stopped after its supervisor was lost',
      } satisfies ReplicaStatus);
    }
  }

  async remove(replicaId: string): Promise<void> {
    const dir = replicaPath(this.replicasDir, replicaId);
    if (!fs.existsSync(dir)) return removeWorkDir(replicaWorkDir(this.work.appsDir, replicaId));
    await this.stop(replicaId, { graceMs: 0 });
    const status = await readStatus(dir);
    if (status?.supervisorPid && (await supervisorAlive(status.supervisorPid, dir))) {
      throw new WharfError('RUNTIME_ERROR', `replica ${replicaId} is still running after stop`, {
        hint: `Its supervisor is pid ${status.supervisorPid}; stop it by hand, then remove again.`,
      });
    }
    fs.rmSync(dir, { recursive: true, force: true });
    await removeWorkDir(replicaWorkDir(this.work.appsDir, replicaId));
  }

  run(job: JobSpec): Promise<JobResult> {
    const user = job.user ?? null;
    return withJobWorkDir(job.cwd, job.jobId, user, this.work, (cwd) => runJob({ ...job, cwd, env: envForWorkDir(job.env, cwd, user) }));
  }

  private async inWorkCopy(spec: ReplicaSpec, user: ReplicaSpec['user'] & {} | null): Promise<ReplicaSpec> {
    const workDir = await freshWorkDir(spec.cwd, replicaWorkDir(this.work.appsDir, spec.replicaId), user, this.work);
    return { ...spec, cwd: workDir, env: envForWorkDir(spec.env, workDir, user) };
  }

  /** One replica's status as it really is now: a dead supervisor without an end is lost. */
  private async observe(dir: string): Promise<ReplicaStatus | null> {
    const status = await readStatus(dir);
    if (!status) {
      const age = await specAgeMs(dir);
      const spec = age !== null && age > STATUS_LESS_LOST_AFTER_MS ? await readSpec(dir) : null;
      return spec ? statusFromSpec(spec, 'lost') : null;
    }
    if (END_STATES.has(status.state)) return status;
    if (await supervisorAlive(status.supervisorPid, dir)) return status;
    return { ...status, state: 'lost' };
  }

  private async killLeftoverApp(dir: string, status: ReplicaStatus, graceMs: number): Promise<void> {
    const spec = await readSpec(dir);
    const pgid = status.appPid;
    if (!spec || !pgid) return;
    if (await appGroupIsOurs(pgid, spec.cwd, spec.command)) await killLeftoverGroup(pgid, graceMs);
  }

  private async killEverything(dir: string, supervisorPid: number): Promise<void> {
    if (await supervisorAlive(supervisorPid, dir)) {
      try {
        process.kill(supervisorPid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await pollUntil(() => !processAlive(supervisorPid), 2000, 25);
    }
    const status = await readStatus(dir);
    if (status) await this.killLeftoverApp(dir, status, 0);
  }
}
