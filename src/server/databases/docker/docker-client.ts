import type Docker from 'dockerode';

// The engine the database helpers talk to (WHARF_DOCKER_HOST, default the local socket).
// dockerode is imported only here and only when a database runs on docker.

export type DockerClient = () => Promise<Docker>;

export function dockerClient(env: NodeJS.ProcessEnv = process.env): DockerClient {
  let client: Promise<Docker> | null = null;
  return () => {
    client ??= import('dockerode').then(({ default: Dockerode }) => {
      const host = env.WHARF_DOCKER_HOST?.trim() || 'unix:///var/run/docker.sock';
      if (host.startsWith('unix://')) return new Dockerode({ socketPath: host.slice('unix://'.length) });
      const url = new URL(host.replace(/^tcp:/, 'http:'));
      return new Dockerode({ host: url.hostname, port: Number(url.port || 2375), protocol: url.protocol === 'https:' ? 'https' : 'http' });
    });
    return client;
  };
}
