import type { ArtifactRef } from '../../../core/artifact.js';
import type { DatabaseEngine } from '../../../core/database.js';
import { dockerClient, type DockerClient } from './docker-client.js';
import { configuredImage, resolveImage, type PullProgress } from './images.js';
import { volumeJobs, type VolumeJobs } from './volume-jobs.js';

/** What the providers need of the engine for their docker variant: one-shot jobs and the image of an engine. */
export interface DockerTools {
  client: DockerClient;
  jobs: VolumeJobs;
  image(engine: DatabaseEngine, onProgress?: PullProgress): Promise<Extract<ArtifactRef, { kind: 'image' }>>;
}

export function dockerTools(env: NodeJS.ProcessEnv = process.env, labels?: Record<string, string>): DockerTools {
  const client = dockerClient(env);
  return {
    client,
    jobs: volumeJobs(client, labels),
    image: async (engine, onProgress) => resolveImage(await client(), configuredImage(engine, env), onProgress),
  };
}
