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

export interface BuildPlan {
  builder: Exclude<BuilderName, 'AUTO'>;
  /** Human summary shown at the top of the build log, e.g. "Node.js (npm, package-lock.json)". */
  summary: string;
  steps: BuildStep[];
  start: StartPlan;
  /** A pre-deploy command the source itself declares (Procfile `release:`); the setting wins. */
  release?: string;
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
  detect(source: SourceDir, settings: ServiceSettings): Promise<BuildPlan | null>;
}

export type LogSink = (line: string, stream: 'out' | 'err' | 'sys') => void;

export interface Artifact {
  id: string;
  releaseDir: string;
  builder: string;
  start: StartPlan;
  createdAt: string;
}
