import type { ArtifactRef, RuntimeName } from './artifact.js';
import type { BuilderName, ServiceSettings } from './settings.js';

// The seam between source and something runnable. A Builder only plans (pure, from the
// files it sees); one executor runs every plan, so all builders share logging and failure.

export interface BuildStep {
  name: string;
  /** argv; a user's own build command arrives as ['sh', '-c', command]. */
  argv: string[];
}

export interface StartPlan {
  /** argv run in the release directory; the user's start command as ['sh', '-c', command]. */
  argv: string[];
  /** 'web' listens on $PORT; 'worker' has no port. */
  kind: 'web' | 'worker';
}

/** A build from the user's own Dockerfile (only the docker runtime can run it). */
export interface DockerfilePlan {
  /** The Dockerfile, relative to the source root (e.g. `Dockerfile.worker`, `backend/Dockerfile`). */
  dockerfile: string;
  /** The build context, relative to the source root ('.' by default; render's dockerContext). */
  context: string;
  /** `--target` stage, if any. */
  target?: string;
  /** The ARG names the Dockerfile declares: only these of the service's variables are passed. */
  args: string[];
}

export interface BuildPlan {
  builder: Exclude<BuilderName, 'AUTO'>;
  /** Human summary shown at the top of the build log, e.g. "Node.js (npm, package-lock.json)". */
  summary: string;
  /** Language builders' steps (run in the release folder, or in an image from a base image). */
  steps: BuildStep[];
  /**
   * For a Dockerfile build, the image's own CMD/ENTRYPOINT runs unless the user set a start
   * command: then `start.argv` is empty.
   */
  start: StartPlan;
  /** A pre-deploy command the source itself declares (Procfile `release:`); the setting wins. */
  release?: string;
  /** Set for the DOCKERFILE builder. */
  dockerfile?: DockerfilePlan;
  /** The base image an auto-detected plan builds on under the docker runtime (the configured base image for its language). */
  baseImage?: string;
}

export interface SourceDir {
  /** Directory holding the extracted, immutable source. */
  path: string;
  /** sha256 of the uploaded archive, the source store's key. */
  digest: string;
}

export interface Builder {
  readonly name: Exclude<BuilderName, 'AUTO'>;
  /** A plan if this builder recognises the source (or is asked for explicitly), else null. */
  detect(source: SourceDir, settings: ServiceSettings, context: DetectContext): Promise<BuildPlan | null>;
}

export interface DetectContext {
  /** The runtime the artifact is for: a Dockerfile plan is only runnable on docker. */
  runtime: RuntimeName;
  /** The service's resolved variables (RAILWAY_DOCKERFILE_PATH, build args). */
  variables: Readonly<Record<string, string>>;
}

export type LogSink = (line: string, stream: 'out' | 'err' | 'sys') => void;

/** What one build made: where it is, and how to start it. */
export interface BuiltArtifact {
  ref: ArtifactRef;
  /** Bytes it takes (the release folder, or the image's size), for `wharf status` and retention. */
  sizeBytes?: number;
  /** Layers reused from the build cache, when the builder knows (shown in the build log's summary). */
  cachedSteps?: number;
}
