import type Dockerode from 'dockerode';
import type { JobResult, JobSpec } from '../../../core/runtime.js';
import { tolerate } from './client.js';
import { checkMounts, envList, hostConfig, imageOf, userFor, type HostOptions } from './container-config.js';
import { jobContainerName, LABEL } from './labels.js';
import { OrderedLogFile } from './log-file.js';
import { LogPump } from './log-pump.js';
import { ensureNetwork, ensureVolumes, networkingConfig } from './networks.js';

// A one-shot job (pre-deploy command, cron run, `wharf run`) as a container of its image: the
// same env, network and volumes as the replicas, its log to job.logFile, killed at its timeout,
// stopped when cancelled, and removed at its end whatever happened.

const CANCEL_GRACE_S = 5;

export async function runJobContainer(docker: Dockerode, job: JobSpec, opts: { base: Record<string, string>; host: HostOptions }): Promise<JobResult> {
  const image = imageOf(job.artifact, `job ${job.jobId}`);
  checkMounts(job.volumes, opts.host);
  if (job.network) await ensureNetwork(docker, job.network, opts.base);
  await ensureVolumes(docker, job.volumes, opts.base, job.user ? { image, user: job.user } : undefined);
  const startedAt = new Date().toISOString();
  const log = new OrderedLogFile(job.logFile, job.secretValues ?? []);
  const net = networkingConfig(job.network);
  const name = jobContainerName(job.jobId);
  await tolerate(docker.getContainer(name).remove({ force: true, v: true }), 404);
  const container = await docker.createContainer({
    name,
    Image: image,
    ...(job.command.length > 0 ? { Cmd: job.command } : {}),
    Env: envList(job.env, null),
    ...(await userFor(docker, image, job.user)),
    Labels: { ...opts.base, [LABEL.job]: job.jobId, [LABEL.role]: 'job', [LABEL.instance]: job.serviceInstanceId ?? '' },
    HostConfig: {
      ...hostConfig(job.limits, job.volumes),
      RestartPolicy: { Name: 'no' },
      ...(net.HostConfigNetworkMode ? { NetworkMode: net.HostConfigNetworkMode } : {}),
    },
    ...(net.NetworkingConfig ? { NetworkingConfig: net.NetworkingConfig } : {}),
  });
  let timedOut = false;
  let cancelled = false;
  let timer: NodeJS.Timeout | null = null;
  const onAbort = () => {
    cancelled = true;
    log.sys('cancelled: stopping the job');
    void tolerate(container.stop({ t: CANCEL_GRACE_S }), 304, 404).catch(() => {});
  };
  try {
    // Attach the wait before the start, so even an instant exit is seen.
    const waited = container.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>;
    await container.start();
    const pump = new LogPump({
      container,
      log,
      cursor: null,
      saveCursor: () => {},
      onLine: job.onLine,
      afterRun: async (drain) => {
        const info = await tolerate(container.inspect(), 404);
        if (info?.State.Running) return 'again';
        await drain();
        return 'stop';
      },
    });
    if (job.signal?.aborted) onAbort();
    else job.signal?.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => {
      timedOut = true;
      log.sys(`timed out after ${Math.round(job.timeoutMs / 1000)} s: killing the job`);
      void tolerate(container.kill(), 304, 404, 409).catch(() => {});
    }, job.timeoutMs);
    const result = await waited;
    await pump.done;
    const code = result.StatusCode;
    const signal = (timedOut || cancelled) && code > 128 ? (code === 137 ? 'SIGKILL' : code === 143 ? 'SIGTERM' : null) : null;
    return {
      jobId: job.jobId,
      exitCode: signal ? null : code,
      signal,
      timedOut,
      cancelled,
      startedAt,
      endedAt: new Date().toISOString(),
    };
  } finally {
    if (timer) clearTimeout(timer);
    job.signal?.removeEventListener('abort', onAbort);
    await tolerate(container.remove({ force: true, v: true }), 404).catch(() => {});
  }
}
