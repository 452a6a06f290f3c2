import type Docker from 'dockerode';
import type { ArtifactRef } from '../../../core/artifact.js';
import type { DatabaseEngine } from '../../../core/database.js';
import { WharfError } from '../../../core/errors.js';

// Which image a database runs from on the docker runtime: the official image of each engine
// unless the installation names another (WHARF_DOCKER_IMAGE_POSTGRES …, e.g. the Debian-built
// wharf-local/* images in tests, where no registry is reachable). The reference is resolved to
// its image ID once per start, so a re-tag never changes what a running database is made of.

export const DEFAULT_IMAGES: Record<DatabaseEngine, string> = {
  postgres: 'postgres:15',
  redis: 'redis:7',
  mysql: 'mariadb:10.11',
  mongo: 'mongo:7',
};

export const IMAGE_SETTINGS: Record<DatabaseEngine, string> = {
  postgres: 'WHARF_DOCKER_IMAGE_POSTGRES',
  redis: 'WHARF_DOCKER_IMAGE_REDIS',
  mysql: 'WHARF_DOCKER_IMAGE_MARIADB',
  mongo: 'WHARF_DOCKER_IMAGE_MONGO',
};

export function configuredImage(engine: DatabaseEngine, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[IMAGE_SETTINGS[engine]]?.trim();
  return value ? value : DEFAULT_IMAGES[engine];
}

export type PullProgress = (line: string) => void;

/** The image as an artifact (tag + image ID); pulled first when the engine does not have it. */
export async function resolveImage(docker: Docker, ref: string, onProgress: PullProgress = () => {}, setting?: string): Promise<Extract<ArtifactRef, { kind: 'image' }>> {
  const local = await inspectImage(docker, ref);
  if (local) return { kind: 'image', image: ref, digest: local };
  await pull(docker, ref, onProgress, setting);
  const pulled = await inspectImage(docker, ref);
  if (!pulled) throw new WharfError('RUNTIME_ERROR', `the image ${ref} is still missing after pulling it`, { hint: `Check \`docker image ls ${ref}\` on the engine.` });
  return { kind: 'image', image: ref, digest: pulled };
}

async function inspectImage(docker: Docker, ref: string): Promise<string | null> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return null;
    throw error;
  }
}

async function pull(docker: Docker, ref: string, onProgress: PullProgress, setting?: string): Promise<void> {
  const which = setting ?? Object.values(IMAGE_SETTINGS).join(' / ');
  const hint = `No registry gave the engine ${ref}: load the image there (\`docker load\`, or build it) or set ${which} to an image the engine has.`;
  try {
    const stream = await docker.pull(ref);
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(
        stream,
        (error: Error | null, output: Array<{ error?: string }>) => {
          const failed = error?.message ?? output.find((o) => o.error)?.error;
          if (failed) reject(new Error(failed));
          else resolve();
        },
        (event: { status?: string; id?: string; progress?: string }) => {
          if (event.status) onProgress([event.id, event.status, event.progress].filter(Boolean).join(' '));
        },
      ),
    );
  } catch (cause) {
    throw new WharfError('RUNTIME_ERROR', `could not pull the database image ${ref}: ${(cause as Error).message}`, { hint, cause });
  }
}
