import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { DatabaseVolume } from '../../../core/database.js';
import { WharfError } from '../../../core/errors.js';
import type { DockerClient } from './docker-client.js';

// One-shot containers of a database's own image with its volumes mounted: initdb and config
// files before a start, WAL archive pruning, preparing a point-in-time recovery. They need what
// JobSpec cannot say (a tar put into the volume before the start, a user by name), so they go
// to the engine here; they carry the same labels as every Wharf object and are always removed.

export interface VolumeJob {
  /** Image ID (or reference). */
  image: string;
  /** A user of the image, by name or uid[:gid]. */
  user: string;
  command: string[];
  env?: Record<string, string>;
  volumes: Array<DatabaseVolume & { readOnly?: boolean }>;
  /**
   * Tar archives (plain or gzipped) extracted at `path` before the command runs. They are put
   * into the RUNNING container (a stopped one would get them in its own layer, under the volume),
   * which waits for them at a gate; owners are the archive's, so a job that puts files runs as
   * root and hands them to the server's user itself.
   */
  puts?: Array<{ path: string; archive: () => Readable | Buffer }>;
  timeoutMs?: number;
  labels?: Record<string, string>;
}

export interface VolumeJobResult {
  exitCode: number;
  output: string;
}

export interface VolumeJobs {
  run(job: VolumeJob): Promise<VolumeJobResult>;
  /** run() that insists on exit 0; `what` names the step in the error. */
  runOk(job: VolumeJob, what: string): Promise<VolumeJobResult>;
  removeVolumes(names: readonly string[]): Promise<void>;
}

export const volumeName = (name: string) => `wharf-vol-${name}`;

export function volumeJobs(client: DockerClient, labels: Record<string, string> = { 'wharf.managed': '1' }): VolumeJobs {
  const run = async (job: VolumeJob): Promise<VolumeJobResult> => {
    const docker = await client();
    await ensureVolumes(docker, job.volumes.map((v) => v.name), { ...labels, ...job.labels });
    const container = await docker.createContainer({
      name: `wharf-dbjob-${randomBytes(6).toString('hex')}`,
      Image: job.image,
      User: job.user,
      Entrypoint: [],
      Cmd: job.puts?.length ? [...GATE, ...job.command] : job.command,
      Env: Object.entries(job.env ?? {}).map(([k, v]) => `${k}=${v}`),
      Labels: { ...labels, ...job.labels, 'wharf.role': 'database-job' },
      HostConfig: {
        NetworkMode: 'none',
        Mounts: job.volumes.map((v) => ({ Type: 'volume' as const, Source: volumeName(v.name), Target: v.mountPath, ReadOnly: v.readOnly ?? false })),
      },
    });
    try {
      await container.start();
      if (job.puts?.length) {
        // Owners as in the archive: the engine's copyUIDGID looks the user up among the HOST's users (20.10).
        for (const put of job.puts) await container.putArchive(put.archive(), { path: put.path });
        await container.putArchive(await gateArchive(), { path: '/tmp' });
      }
      const timeoutMs = job.timeoutMs ?? 10 * 60_000;
      let timer: NodeJS.Timeout | undefined;
      const waited = (await Promise.race([
        container.wait(),
        new Promise((resolve) => {
          timer = setTimeout(() => resolve(null), timeoutMs);
        }),
      ])) as { StatusCode: number } | null;
      clearTimeout(timer);
      const output = demux((await container.logs({ stdout: true, stderr: true })) as unknown as Buffer);
      if (waited === null) return { exitCode: -1, output: `${output}\n(timed out after ${timeoutMs} ms)` };
      return { exitCode: waited.StatusCode, output };
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  };
  return {
    run,
    async runOk(job, what) {
      const result = await run(job);
      if (result.exitCode !== 0) {
        const tail = result.output.trim().split('\n').slice(-5).join('\n');
        throw new WharfError('RUNTIME_ERROR', `${what} failed (exit ${result.exitCode}): ${tail}`, {
          hint: 'Check that the image is the engine it is configured for and that its volume is not in use by another server.',
        });
      }
      return result;
    },
    async removeVolumes(names) {
      const docker = await client();
      for (const name of names) {
        await docker
          .getVolume(volumeName(name))
          .remove()
          .catch((error: { statusCode?: number }) => {
            if (error.statusCode !== 404) throw error;
          });
      }
    },
  };
}

/** Waits (at most 5 minutes) for the gate file the puts end with, then runs the command. */
const GATE = ['sh', '-c', 'i=0; while [ ! -e /tmp/.wharf-go ]; do i=$((i+1)); if [ $i -gt 3000 ]; then exit 124; fi; sleep 0.1; done; exec "$@"', 'gate'];

async function gateArchive(): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-gate-'));
  try {
    await writeFile(path.join(dir, '.wharf-go'), '');
    const chunks: Buffer[] = [];
    for await (const chunk of tar.c({ cwd: dir, portable: true }, ['.wharf-go']) as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Named volumes are created with Wharf's labels (the engine would make them unlabelled). */
export async function ensureVolumes(docker: Docker, names: readonly string[], labels: Record<string, string>): Promise<void> {
  for (const name of names) {
    try {
      await docker.getVolume(volumeName(name)).inspect();
    } catch {
      await docker.createVolume({ Name: volumeName(name), Labels: labels });
    }
  }
}

/** A non-TTY container's log stream: 8-byte headers (stream, length) before each chunk. */
export function demux(buffer: Buffer): string {
  let text = '';
  for (let i = 0; i + 8 <= buffer.length; ) {
    const size = buffer.readUInt32BE(i + 4);
    text += buffer.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return text;
}
