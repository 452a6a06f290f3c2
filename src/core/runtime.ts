import type { RestartPolicy } from './settings.js';

// The seam between the deploy pipeline and whatever runs replicas: processes today,
// Docker containers and Swarm tasks later. Everything is addressed by replicaId.

export interface LivenessSpec {
  /** HTTP path probed on the replica's port; null probes a TCP connect. */
  path: string | null;
  intervalMs: number;
  timeoutMs: number;
  failureThreshold: number;
  /**
   * How long a restarted app has to answer 2xx before failed probes count (healthcheckTimeout).
   * The first run's start is judged by whoever started it (the deploy or the reconciler).
   */
  startupTimeoutMs?: number;
}

/**
 * The unprivileged user a replica, job or build runs as (allocated per service instance by
 * Wharf, src/server/isolation/). Absent or null: Wharf's own user, when Wharf itself is not root.
 */
export interface RunAs {
  uid: number;
  gid: number;
}

export interface ReplicaSpec {
  replicaId: string;
  deploymentId: string;
  serviceInstanceId: string;
  /**
   * The artifact's release directory: the image the replica runs. The driver gives the replica
   * a writable working copy of it (never the release itself, which stays as it was built).
   */
  cwd: string;
  /** argv; a user's own command arrives as ['sh', '-c', command]. */
  command: string[];
  env: Record<string, string>;
  user?: RunAs | null;
  /**
   * Run in `cwd` itself, not a copy: for a database server, whose cwd is its own data folder and
   * whose argv drops to its own user (postgres, …).
   */
  inPlace?: boolean;
  /** The port the app listens on (also in env.PORT); null for workers. */
  port: number | null;
  restart: { policy: RestartPolicy; maxRetries: number };
  liveness: LivenessSpec | null;
  /** SIGTERM → SIGKILL grace for the process group. */
  stopGraceMs: number;
  /** JSON lines: {"t": ISO time, "s": "out"|"err"|"sys", "m": line}. */
  logFile: string;
  /** Secret values to redact from the replica's log lines (never written anywhere in clear). */
  secretValues?: Array<{ key: string; value: string }>;
}

export type ReplicaState =
  | 'starting' // supervisor up, app spawned, not yet seen healthy
  | 'running'
  | 'unhealthy' // failed its liveness probe: out of the routing set, being stopped for a restart
  | 'restarting' // waiting for the back-off before the next start
  | 'crashed' // restart policy gave up
  | 'exited' // exited 0 under ON_FAILURE / NEVER: done
  | 'stopped' // stopped by Wharf
  | 'lost'; // the supervisor is gone without recording an end

export interface ReplicaStatus {
  replicaId: string;
  deploymentId: string;
  serviceInstanceId: string;
  port: number | null;
  state: ReplicaState;
  restarts: number;
  appPid: number | null;
  supervisorPid: number | null;
  exitCode: number | null;
  exitSignal: string | null;
  startedAt: string | null;
  updatedAt: string;
  /** Why the last restart happened, e.g. "exited with code 1", "liveness probe failed 3 times". */
  lastReason: string | null;
  /** Since when the app has failed its health check (set at the liveness threshold, cleared by a 2xx). */
  unhealthySince?: string | null;
}

export interface JobSpec {
  jobId: string;
  /** The release the job runs in; like a replica it gets a working copy, removed at its end. */
  cwd: string;
  command: string[];
  env: Record<string, string>;
  user?: RunAs | null;
  logFile: string;
  timeoutMs: number;
  /** Secret values to redact from the job's log lines. */
  secretValues?: Array<{ key: string; value: string }>;
  /** Cancels the job (SIGTERM to its group, then SIGKILL). */
  signal?: AbortSignal;
  /** Each (redacted) output line as it comes, e.g. to stream a one-off command to the CLI. */
  onLine?: (line: string, stream: 'out' | 'err' | 'sys') => void;
}

export interface JobResult {
  jobId: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Ended through JobSpec.signal. */
  cancelled: boolean;
  startedAt: string;
  endedAt: string;
}

export interface Runtime {
  readonly name: string;
  start(spec: ReplicaSpec): Promise<ReplicaStatus>;
  stop(replicaId: string, opts: { graceMs: number }): Promise<void>;
  /** Everything this runtime knows of, running or not: the reconciler's input. */
  list(): Promise<ReplicaStatus[]>;
  /** Forget a replica that has ended (crashed/exited/stopped/lost): removes its bookkeeping. */
  remove(replicaId: string): Promise<void>;
  run(job: JobSpec): Promise<JobResult>;
}

/**
 * Whether a routed replica takes traffic: its app is up (or starting: the deploy saw it healthy
 * before routing it) and has not failed its health check since its last 2xx. An unhealthy
 * replica stays out, through its restarts, until it answers 2xx again.
 */
export function servesTraffic(status: { state: string; unhealthySince?: string | null }): boolean {
  return !status.unhealthySince && (status.state === 'running' || status.state === 'starting');
}
