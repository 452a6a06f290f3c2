import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { entryPath, nodeEntryArgv } from '../../../core/entrypoint.js';
import { WharfError } from '../../../core/errors.js';
import { KEY_FILE_ENV, sealSpec } from '../../../supervisor/sealed-spec.js';
import type { SecretBox } from '../../../shared/secrets/secret-box.js';
import type { ExecSession, ExecSpec, JobResult, JobSpec, ReplicaSpec, ReplicaState, ReplicaStats, Runtime } from '../../../core/runtime.js';
import { pollUntil, processAlive } from '../../../supervisor/process-group.js';
import { replicaFiles, writeJsonAtomic, type StopRequest, type SupervisedSpec, type SupervisedStatus } from '../../../supervisor/status-file.js';
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
import { startExecSession } from './exec-session.js';
import { releaseDirOf } from './release-of.js';
import { ReplicaStatsReader } from './replica-stats.js';
import { runJob } from './run-job.js';
import { prepareVolumes } from './volumes.js';
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
  /** Where volumes' folders live (<WHARF_HOME>/volumes; by default beside run/). */
  volumesDir?: string;
  /** /proc, for stats() (tests point it elsewhere). */
  procDir?: string;
}

export class ProcessRuntime implements Runtime {
  readonly name = 'process';
  private readonly replicasDir: string;
  private readonly seal: ProcessRuntimeOptions['seal'];
  private readonly work: WorkDirOptions;
  private readonly volumesDir: string;
  private readonly statsReader: ReplicaStatsReader;

  constructor(options: ProcessRuntimeOptions) {
    this.replicasDir = options.replicasDir;
    this.seal = options.seal;
    this.work = options.work;
    this.volumesDir = options.volumesDir ?? path.resolve(options.replicasDir, '..', '..', 'volumes');
    this.statsReader = new ReplicaStatsReader(options.procDir);
  }

  async start(spec: ReplicaSpec): Promise<SupervisedStatus> {
    const release = releaseDirOf(spec.artifact, `replica ${spec.replicaId}`);
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
    const volumeEnv = await prepareVolumes(this.volumesDir, spec.volumes, user);
    const withVolumes = { ...spec, env: { ...spec.env, ...volumeEnv } };
    const running: SupervisedSpec = spec.inPlace ? { ...withVolumes, cwd: release } : await this.inWorkCopy(withVolumes, release, user);
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

  async list(): Promise<SupervisedStatus[]> {
    const statuses: SupervisedStatus[] = [];
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
      } satisfies SupervisedStatus);
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

  async run(job: JobSpec): Promise<JobResult> {
    const user = job.user ?? null;
    const release = releaseDirOf(job.artifact, `job ${job.jobId}`);
    const volumeEnv = await prepareVolumes(this.volumesDir, job.volumes, user);
    return withJobWorkDir(release, job.jobId, user, this.work, (cwd) => runJob({ ...job, env: envForWorkDir({ ...job.env, ...volumeEnv }, cwd, user) }, cwd));
  }

  async stats(replicaIds?: readonly string[]): Promise<ReplicaStats[]> {
    const wanted = replicaIds ? new Set(replicaIds) : null;
    const statuses = (await this.list()).filter((s) => !wanted || wanted.has(s.replicaId));
    return this.statsReader.read(statuses);
  }

  exec(spec: ExecSpec): Promise<ExecSession> {
    return startExecSession(spec, this.work, this.volumesDir);
  }

  private async inWorkCopy(spec: ReplicaSpec, release: string, user: ReplicaSpec['user'] & {} | null): Promise<SupervisedSpec> {
    const workDir = await freshWorkDir(release, replicaWorkDir(this.work.appsDir, spec.replicaId), user, this.work);
    return { ...spec, cwd: workDir, env: envForWorkDir(spec.env, workDir, user) };
  }

  /** One replica's status as it really is now: a dead supervisor without an end is lost. */
  private async observe(dir: string): Promise<SupervisedStatus | null> {
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

  private async killLeftoverApp(dir: string, status: SupervisedStatus, graceMs: number): Promise<void> {
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
