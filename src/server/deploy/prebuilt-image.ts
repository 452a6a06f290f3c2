import type Docker from 'dockerode';
import type { BuiltArtifact, LogSink } from '../../core/build.js';
import { WharfError } from '../../core/errors.js';

// A service that runs a prebuilt image (Compose `image:`, the `image` setting) has no build:
// its artifact is the image, pinned by ID so a later re-tag upstream never changes what a
// deployment (or a rollback to it) runs. A missing image is pulled, with progress in the log.

const IMAGE_REF = /^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,511}$/;

export async function prebuiltImageArtifact(docker: Docker, ref: string, log: LogSink, signal?: AbortSignal): Promise<BuiltArtifact> {
  if (!IMAGE_REF.test(ref)) throw new WharfError('INVALID_CONFIG', `'${ref}' is not an image reference`, { hint: 'Use e.g. nginx:1.27, ghcr.io/org/app:2 or an image@sha256:… digest.' });
  const found = await inspect(docker, ref);
  if (found) {
    log(`Using image ${ref} (${found.Id.slice(7, 19)}), already on this engine`, 'sys');
    return { ref: { kind: 'image', image: ref, digest: found.Id }, sizeBytes: found.Size };
  }
  log(`Pulling ${ref}`, 'sys');
  await pull(docker, withDefaultTag(ref), log, signal);
  const pulled = await inspect(docker, ref);
  if (!pulled) throw new WharfError('BUILD_FAILED', `pulled ${ref} but the engine does not have it`, { hint: 'Check the reference with `docker image ls` on the server.' });
  log(`Using image ${ref} (${pulled.Id.slice(7, 19)})`, 'sys');
  return { ref: { kind: 'image', image: ref, digest: pulled.Id }, sizeBytes: pulled.Size };
}

/** `nginx` → `nginx:latest`, as `docker pull` does (the API pulls every tag without one). */
export function withDefaultTag(ref: string): string {
  if (ref.includes('@')) return ref;
  const last = ref.split('/').pop()!;
  return last.includes(':') ? ref : `${ref}:latest`;
}

async function inspect(docker: Docker, ref: string): Promise<{ Id: string; Size: number } | null> {
  try {
    return (await docker.getImage(ref).inspect()) as { Id: string; Size: number };
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return null;
    throw error;
  }
}

interface PullEvent {
  id?: string;
  status?: string;
  progress?: string;
  error?: string;
}

async function pull(docker: Docker, ref: string, log: LogSink, signal?: AbortSignal): Promise<void> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await docker.pull(ref, signal ? { abortSignal: signal } : {})) as NodeJS.ReadableStream;
  } catch (error) {
    throw pullError(ref, (error as Error).message);
  }
  // One line per layer status change, not per progress tick: a pull log stays readable.
  const last = new Map<string, string>();
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, events: PullEvent[]) => {
        const failed = error?.message ?? events.find((e) => e.error)?.error;
        if (failed) reject(pullError(ref, failed));
        else resolve();
      },
      (event: PullEvent) => {
        if (event.error) return;
        const key = event.id ?? '';
        if (last.get(key) === event.status) return;
        last.set(key, event.status ?? '');
        log(`${event.id ? `${event.id}: ` : ''}${event.status ?? ''}`, 'out');
      },
    );
  });
}

function pullError(ref: string, message: string): WharfError {
  return new WharfError('BUILD_FAILED', `could not pull ${ref}: ${message}`, {
    hint: 'Check the name and that the engine reaches its registry (or load the image with `docker load` on the server).',
  });
}
