import type Dockerode from 'dockerode';
import type { Duplex } from 'node:stream';
import type { ExecExit, ExecSession, ExecSpec } from '../../../core/runtime.js';
import { tolerate } from './client.js';
import { checkMounts, envList, hostConfig, imageOf, userFor, type HostOptions } from './container-config.js';
import { LABEL, nameSafe } from './labels.js';
import { ensureNetwork, ensureVolumes, networkingConfig } from './networks.js';

// `wharf exec -it` on the docker runtime: a fresh container of the artifact with a TTY, its
// stdin and output on one hijacked connection. Hanging up sends SIGHUP, then SIGKILL after a
// grace; the container is removed once it has ended.

const HANGUP_GRACE_MS = 2_000;

export async function openExec(docker: Dockerode, spec: ExecSpec, opts: { base: Record<string, string>; host: HostOptions }): Promise<ExecSession> {
  const image = imageOf(spec.artifact, `exec ${spec.execId}`);
  checkMounts(spec.volumes, opts.host);
  if (spec.network) await ensureNetwork(docker, spec.network, opts.base);
  await ensureVolumes(docker, spec.volumes, opts.base, spec.user ? { image, user: spec.user } : undefined);
  const net = networkingConfig(spec.network);
  const container = await docker.createContainer({
    name: `wharf-exec-${nameSafe(spec.execId)}`,
    Image: image,
    ...(spec.command.length > 0 ? { Cmd: spec.command } : {}),
    Env: envList({ ...spec.env, TERM: spec.term }, null),
    ...(await userFor(docker, image, spec.user)),
    Tty: true,
    OpenStdin: true,
    StdinOnce: false,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Labels: { ...opts.base, [LABEL.exec]: spec.execId, [LABEL.role]: 'exec', [LABEL.instance]: spec.serviceInstanceId ?? '' },
    HostConfig: {
      ...hostConfig(undefined, spec.volumes),
      RestartPolicy: { Name: 'no' },
      ...(net.HostConfigNetworkMode ? { NetworkMode: net.HostConfigNetworkMode } : {}),
    },
    ...(net.NetworkingConfig ? { NetworkingConfig: net.NetworkingConfig } : {}),
  });
  let stream: Duplex;
  try {
    stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
    const waited = container.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>;
    await container.start();
    await tolerate(container.resize({ h: spec.rows, w: spec.cols }), 400, 404, 409, 500).catch(() => {});
    return new DockerExecSession(container, stream, waited, spec.timeoutMs);
  } catch (err) {
    await tolerate(container.remove({ force: true }), 404).catch(() => {});
    throw err;
  }
}

class DockerExecSession implements ExecSession {
  readonly exited: Promise<ExecExit>;
  private timedOut = false;
  private hungUp = false;

  constructor(
    private readonly container: Dockerode.Container,
    private readonly stream: Duplex,
    waited: Promise<{ StatusCode: number }>,
    timeoutMs: number,
  ) {
    const timer = setTimeout(() => {
      this.timedOut = true;
      void tolerate(container.kill(), 304, 404, 409).catch(() => {});
    }, timeoutMs);
    this.exited = waited
      .then((r) => r.StatusCode, () => null)
      .then(async (code) => {
        clearTimeout(timer);
        stream.destroy();
        await tolerate(container.remove({ force: true }), 404).catch(() => {});
        const signal = code !== null && code > 128 && (this.timedOut || this.hungUp) ? (code === 137 ? 'SIGKILL' : code === 129 ? 'SIGHUP' : null) : null;
        return { code: signal ? null : code, signal, timedOut: this.timedOut };
      });
  }

  write(data: Buffer): void {
    if (!this.stream.destroyed) this.stream.write(data);
  }

  resize(cols: number, rows: number): void {
    void tolerate(this.container.resize({ h: rows, w: cols }), 400, 404, 409, 500).catch(() => {});
  }

  onData(listener: (data: Buffer) => void): void {
    this.stream.on('data', listener);
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  hangUp(): void {
    if (this.hungUp) return;
    this.hungUp = true;
    void tolerate(this.container.kill({ signal: 'SIGHUP' }), 304, 404, 409).catch(() => {});
    const timer = setTimeout(() => void tolerate(this.container.kill(), 304, 404, 409).catch(() => {}), HANGUP_GRACE_MS);
    timer.unref();
    void this.exited.finally(() => clearTimeout(timer));
  }
}
