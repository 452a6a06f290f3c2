import type { ArtifactRef, RuntimeName } from './artifact.js';
import type { RestartPolicy } from './settings.js';

// The seam between the deploy pipeline and whatever runs replicas: processes, Docker
// containers, Swarm tasks later. Everything is addressed by replicaId. Generic code never
// assumes a driver: it reaches a replica at its endpoint, reads its usage through stats(), runs
// commands through run()/exec(), and reads its log lines from the log file the driver writes.

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

/** Where the router and the probes reach a replica's port. */
export interface Endpoint {
  host: string;
  port: number;
}

/**
 * A volume kept across deploys and rollbacks. The process runtime keeps it as a folder under
 * the state directory and tells the app where (RAILWAY_VOLUME_MOUNT_PATH); containers get a
 * named volume mounted at `mountPath`.
 */
export interface VolumeMount {
  /** Wharf's name for the volume (checked, path- and label-safe), unique per installation. */
  name: string;
  mountPath: string;
}

/** The private network of a project-environment, and the names a replica answers to there. */
export interface PrivateNetwork {
  /** e.g. `wharf-<projectId>-<environmentId>`. */
  name: string;
  /** e.g. ['api', 'api.railway.internal']. */
  aliases: string[];
}

export interface ResourceLimits {
  memoryBytes?: number;
  /** Fractions of a core, e.g. 0.5. */
  cpus?: number;
}

/** What the replica is: an app replica of a deployment, or a managed database server. */
export type ReplicaRole = 'app' | 'database';

export interface ReplicaSpec {
  replicaId: string;
  role: ReplicaRole;
  /** The deployment an app replica belongs to; null for a database server. */
  deploymentId: string | null;
  serviceInstanceId: string;
  /**
   * What the replica runs. A release gets a writable working copy (never the release itself,
   * which stays as it was built); an image gets a fresh container.
   */
  artifact: ArtifactRef;
  /** argv; a user's own command arrives as ['sh', '-c', command]. */
  command: string[];
  env: Record<string, string>;
  user?: RunAs | null;
  /**
   * Run in the release folder itself, not a copy: for a database server on the process runtime,
   * whose folder is its own data folder and whose argv drops to its own user (postgres, …).
   */
  inPlace?: boolean;
  /** The port the app listens on in its network (also in env.PORT); null for workers. */
  port: number | null;
  limits?: ResourceLimits;
  volumes?: VolumeMount[];
  /** Containers join it; the process runtime reaches private services through the router. */
  network?: PrivateNetwork;
  restart: { policy: RestartPolicy; maxRetries: number };
  liveness: LivenessSpec | null;
  /** SIGTERM → SIGKILL grace for the process group. */
  stopGraceMs: number;
  /** JSON lines: {"t": ISO time, "s": "out"|"err"|"sys", "m": line}. */
  logFile: string;
  /** Secret values to redact from the replica's log lines (never written anywhere in clear). */
  secretValues?: Array<{ key: string; value: string }>;
  /**
   * Containers only: `port` also published on the host at hostIp:hostPort (a database server on
   * 127.0.0.1, so host-side tools and process apps reach it as on the process runtime).
   */
  publish?: { hostIp: string; hostPort: number };
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
  role: ReplicaRole;
  deploymentId: string | null;
  serviceInstanceId: string;
  /** Which driver runs it. */
  runtime: RuntimeName;
  port: number | null;
  /** Where to reach `port` from the control plane and the router; null while it has none. */
  endpoint: Endpoint | null;
  state: ReplicaState;
  restarts: number;
  exitCode: number | null;
  exitSignal: string | null;
  startedAt: string | null;
  updatedAt: string;
  /** Why the last restart happened, e.g. "exited with code 1", "liveness probe failed 3 times". */
  lastReason: string | null;
  /** Since when the app has failed its health check (set at the liveness threshold, cleared by a 2xx). */
  unhealthySince?: string | null;
  /** The last end was the kernel's OOM killer, at this limit (bytes). */
  oomKilled?: { limitBytes: number | null; at: string } | null;
}

/** One live replica's usage, as its driver measures it. */
export interface ReplicaStats {
  replicaId: string;
  /** CPU time used since the replica (its current run) started, user + system, in seconds. */
  cpuSeconds: number;
  /** Resident memory now, in bytes (RSS of its processes, or the container's usage less cache). */
  memoryBytes: number;
  memoryLimitBytes: number | null;
  /** When it was measured (Date.now()). */
  at: number;
}

export interface JobSpec {
  jobId: string;
  /** The service instance the job belongs to (labels, networks). */
  serviceInstanceId?: string;
  /** What the job runs in; like a replica it gets a working copy (or container), removed at its end. */
  artifact: ArtifactRef;
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
  limits?: ResourceLimits;
  volumes?: VolumeMount[];
  network?: PrivateNetwork;
}

/** An interactive command on a pseudo-terminal (`wharf exec -it`), in a fresh copy of the artifact. */
export interface ExecSpec {
  execId: string;
  serviceInstanceId?: string;
  artifact: ArtifactRef;
  command: string[];
  env: Record<string, string>;
  user?: RunAs | null;
  cols: number;
  rows: number;
  /** $TERM for the program. */
  term: string;
  timeoutMs: number;
  volumes?: VolumeMount[];
  network?: PrivateNetwork;
}

export interface ExecExit {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
}

export interface ExecSession {
  write(data: Buffer): void;
  resize(cols: number, rows: number): void;
  /** Output bytes, as the program wrote them (not redacted: it is a terminal). */
  onData(listener: (data: Buffer) => void): void;
  pause(): void;
  resume(): void;
  /** Hangs up the program, then kills it after a grace; its copy or container is removed. */
  hangUp(): void;
  readonly exited: Promise<ExecExit>;
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
  readonly name: RuntimeName;
  /**
   * Starts a replica and returns once the driver has it (not once it is healthy). Its stdout
   * and stderr go, redacted, to spec.logFile as JSON lines, from here on and after a restart of
   * the control plane (the driver adopts what an earlier control plane started).
   */
  start(spec: ReplicaSpec): Promise<ReplicaStatus>;
  stop(replicaId: string, opts: { graceMs: number }): Promise<void>;
  /** Everything this runtime knows of, running or not: the reconciler's input. */
  list(): Promise<ReplicaStatus[]>;
  /** Forget a replica that has ended (crashed/exited/stopped/lost): removes its bookkeeping. */
  remove(replicaId: string): Promise<void>;
  run(job: JobSpec): Promise<JobResult>;
  /** CPU and memory of the live replicas among `replicaIds` (all live ones when omitted). */
  stats(replicaIds?: readonly string[]): Promise<ReplicaStats[]>;
  exec(spec: ExecSpec): Promise<ExecSession>;
  /** Frees what the driver holds for a removed artifact (an image); releases are the builder's. */
  removeArtifact?(artifact: ArtifactRef): Promise<void>;
}

/**
 * Whether a routed replica takes traffic: its app is up (or starting: the deploy saw it healthy
 * before routing it) and has not failed its health check since its last 2xx. An unhealthy
 * replica stays out, through its restarts, until it answers 2xx again.
 */
export function servesTraffic(status: { state: string; unhealthySince?: string | null }): boolean {
  return !status.unhealthySince && (status.state === 'running' || status.state === 'starting');
}
