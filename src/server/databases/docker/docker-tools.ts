import { createHash } from 'node:crypto';
import type { ArtifactRef } from '../../../core/artifact.js';
import type { DatabaseEngine } from '../../../core/database.js';
import { dockerClient, type DockerClient } from './docker-client.js';
import { configuredImage, IMAGE_SETTINGS, resolveImage, type PullProgress } from './images.js';
import { volumeJobs, type VolumeJobs } from './volume-jobs.js';

/** What the providers need of the engine for their docker variant: one-shot jobs and the image of an engine. */
export interface DockerTools {
  client: DockerClient;
  jobs: VolumeJobs;
  /** What every object made through these tools is labelled with. */
  labels: Record<string, string>;
  image(engine: DatabaseEngine, onProgress?: PullProgress): Promise<Extract<ArtifactRef, { kind: 'image' }>>;
}

/** The labels of every object this installation makes (the docker runtime's labels, docs/docker.md): `wharf.home` keeps two installations on one engine apart. */
export function installationLabels(home: string): Record<string, string> {
  return { 'wharf.managed': '1', 'wharf.home': createHash('sha256').update(home).digest('hex').slice(0, 12) };
}

export function dockerTools(env: NodeJS.ProcessEnv = process.env, labels?: Record<string, string>): DockerTools {
  const client = dockerClient(env);
  return {
    client,
    jobs: volumeJobs(client, labels),
    labels: labels ?? { 'wharf.managed': '1' },
    image: async (engine, onProgress) => resolveImage(await client(), configuredImage(engine, env), onProgress, IMAGE_SETTINGS[engine]),
  };
}
