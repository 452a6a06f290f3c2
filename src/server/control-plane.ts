import { serve } from '@hono/node-server';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { ensureRouter } from '../router/launch.js';
import { prepareHome } from './home.js';
import { isolationWarnings, prepareIsolation } from './isolation/isolation.js';
import { RouterClient } from '../router/client.js';
import { createApi } from './api/app.js';
import { AlertEngine } from './notify/engine.js';
import { attachExecSocket } from './api/exec-socket.js';
import { RouteRegistry } from './api/registry.js';
import { bootstrapAdminToken } from './bootstrap-token.js';
import { localBuildService } from './build-service.js';
import { readRailwayConfig } from '../shared/config/railway-config.js';
import type { DeployContext } from './deploy/context.js';
import { Deployer } from './deploy/deployer.js';
import { InstanceLocks } from './deploy/instance-locks.js';
import { RouteSync } from './deploy/route-sync.js';
import type { ServerOptions } from './options.js';
import { Reconciler } from './reconcile/reconciler.js';
import { recoverInterruptedDeployments } from './reconcile/recovery.js';
import { ProcessRuntime } from './runtimes/process/process-runtime.js';
import { Runtimes } from './runtimes/runtimes.js';
import type { DockerRuntime } from './runtimes/docker/docker-runtime.js';
import { lazyDockerVolumes } from './volumes/engine.js';
import { installationLabels } from './databases/docker/docker-tools.js';
import { dockerWanted, loadDockerRuntime } from './runtimes/select.js';
import { startMetrics } from './metrics/index.js';
import { removeStaleUploads, storeSource } from './source/store-source.js';
import { StoreCronBackend } from './scheduler/cron-backend.js';
import { CronScheduler, systemClock } from './scheduler/scheduler.js';
import { databaseAccess } from './databases/access.js';
import { BackupService } from './databases/backups.js';
import { DatabaseManager } from './databases/manager.js';
import { defaultProviders } from './databases/providers.js';
import { DatabaseScheduleBackend } from './databases/schedules.js';
import { OffsiteCopies, offsiteOptionsFromEnv } from './databases/offsite/offsite-copies.js';
import { databaseStatsSources } from './databases/stats.js';
import { DrainService } from './drains/service.js';
import { shipperOptionsFromEnv } from './drains/shipper.js';
import { Store } from './store/store.js';
import { Keyring, keyringOptionsFromEnv } from '../shared/secrets/keyring.js';
import { WHARF_VERSION } from './version.js';

export interface ControlPlane {
  url: string;
  stop(): Promise<void>;
}

/**
 * The composition root: every part is made here and passed in. Stopping the control plane
 * stops only the control plane; the router and the apps' supervisors run on.
 */
export async function startControlPlane(options: ServerOptions, print: (line: string) => void = console.log): Promise<ControlPlane> {
  const { paths } = options;
  const homeWarnings = prepareHome(paths);
  const logger = pino({ level: process.env.WHARF_LOG_LEVEL ?? 'info' });
  for (const warning of homeWarnings) logger.warn({ home: paths.home }, warning);
  const keyring = Keyring.load(keyringOptionsFromEnv(paths.secretKey));
  const store = Store.open(paths.database, keyring);
  const encrypted = store.variables.encryptPlaintext();
  if (encrypted > 0) logger.info({ count: encrypted }, 'encrypted variables stored by an earlier version');
  bootstrapAdminToken(store, options, print);
  const stale = await removeStaleUploads(paths.sources);
  if (stale.length > 0) logger.info({ removed: stale }, 'removed uploads a restart cut short');

  prepareIsolation(paths, options.isolation);
  for (const warning of isolationWarnings(options.isolation)) logger.warn({ appsDir: options.isolation.appsDir }, warning);
  // One Runtime for everything: processes, and containers once anything runs on docker.
  const runtime = new Runtimes({
    process: new ProcessRuntime({
      replicasDir: paths.replicas,
      seal: { box: keyring, keyFile: paths.secretKey },
      work: { appsDir: options.isolation.appsDir, mode: options.isolation.workCopy },
      volumesDir: paths.volumes,
    }),
    docker: () => loadDockerRuntime({ host: options.dockerHost, home: paths.home, seal: { box: keyring } }),
    defaultRuntime: options.runtime,
  });
  // Loaded before the first reconcile pass when something runs (or will run) there, so its
  // containers are adopted; a process-only installation never loads dockerode.
  if (dockerWanted(store, options)) await runtime.driver('docker');
  const router = new RouterClient(paths.routerSocket);
  const startRouter = () => ensureRouter(paths, { port: options.routerPort, host: options.routerHost });
  const routerState = await startRouter();
  logger.info({ routerPid: routerState.pid, started: routerState.started, port: options.routerPort }, 'router ready');

  const locks = new InstanceLocks();
  const ctx: DeployContext = {
    store,
    runtime,
    router,
    routes: new RouteSync(store, runtime, router, options, (host, instanceId) =>
      logger.warn({ host, instanceId }, 'two services would share a host; the older keeps it (use {project} in WHARF_HOST_PATTERN)'),
    ),
    builds: localBuildService({ sourcesDir: paths.sources, releasesDir: paths.releases, dockerHost: options.dockerHost, home: paths.home }),
    locks,
    options,
    logger,
  };
  const databaseManager = new DatabaseManager(ctx, defaultProviders());
  const offsite = new OffsiteCopies(store, logger, offsiteOptionsFromEnv());
  const backups = new BackupService(databaseManager, offsite);
  ctx.databases = databaseAccess(databaseManager, backups);
  const recovered = recoverInterruptedDeployments(ctx);
  if (recovered > 0) logger.warn({ count: recovered }, 'failed deployments interrupted by the last stop');
  const cronBackend = new StoreCronBackend(ctx);
  const interruptedRuns = cronBackend.failInterrupted();
  if (interruptedRuns > 0) logger.warn({ count: interruptedRuns }, 'cron runs interrupted by the last stop');
  const scheduler = new CronScheduler(cronBackend, systemClock, {
    onError: (jobId, error) => logger.error({ err: error, instanceId: jobId }, 'cron run could not start'),
  });
  const housekeeping = new CronScheduler(new DatabaseScheduleBackend(databaseManager, backups), systemClock, {
    onError: (jobId, error) => logger.error({ err: error, jobId }, 'database housekeeping could not start'),
  });
  const reconciler = new Reconciler(ctx, startRouter, () => {
    scheduler.reload();
    housekeeping.reload();
    void databaseManager.supervise().catch((error: unknown) => logger.error({ err: error }, 'database supervision failed'));
  });
  await reconciler.pass();
  reconciler.start();
  await databaseManager.supervise();
  await housekeeping.start();
  offsite.start();
  const catchUp = await scheduler.start();
  for (const report of catchUp.filter((r) => r.missed > 0)) logger.warn(report, 'cron runs missed while the control plane was down');

  const metrics = startMetrics({ paths, runtime, replicas: () => store.replicas.all(), databases: databaseStatsSources(databaseManager), logger });
  const alerts = AlertEngine.fromEnv({ store, logger, metrics: metrics.store }).start();
  const deployer = new Deployer(ctx, readRailwayConfig);
  const logIndex = (await import('./logstore/index.js')).startLogIndex({ paths, store, logger }); // stops itself when the store closes
  const drains = new DrainService({ db: store.db, box: keyring, events: store.events, logIndex, logger, options: shipperOptionsFromEnv() }).start();
  const api = createApi({
    store,
    runtime,
    deployer,
    routes: ctx.routes,
    builds: ctx.builds,
    keyring,
    options,
    registry: new RouteRegistry(),
    logger,
    storeSource: (body) => storeSource(body, { sourcesDir: paths.sources }),
    scheduler,
    databases: ctx.databases,
    databaseManager,
    backups,
    version: WHARF_VERSION,
    logIndex,
    drains,
    metrics: metrics.store,
    volumeEngines: { docker: lazyDockerVolumes(async () => ((await runtime.driver('docker')) as DockerRuntime).docker, installationLabels(paths.home)) },
  });
  const server = serve({ fetch: api.fetch, port: options.apiPort, hostname: options.apiHost });
  const exec = attachExecSocket(server, ctx);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ url, home: paths.home, router: options.routerPort }, 'Wharf control plane listening');

  return {
    url,
    async stop() {
      scheduler.stop();
      housekeeping.stop();
      await offsite.stop();
      await alerts.stop();
      await drains.stop();
      await reconciler.stop();
      await metrics.stop();
      exec.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      store.close();
    },
  };
}
