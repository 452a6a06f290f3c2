import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { wharfPaths } from '../core/paths.js';
import { AccessLog } from './access-log.js';
import { createAdminServer } from './admin.js';
import { ConnectionBudget } from './connection-budget.js';
import { connectionLimits } from './limits.js';
import { createProxyServer, listen } from './listener.js';
import { PrivateListeners } from './private.js';
import { Proxy } from './proxy.js';
import { RouteTableStore } from './route-table.js';
import { TargetRegistry } from './targets.js';
import { TrafficCounter } from './traffic.js';
import { TrafficLog } from './traffic-log.js';
import { UpgradeProxy } from './upgrade.js';
import { wharfVersion } from './version.js';

// The data plane: a process of its own, so restarting the control plane drops no request.
// Composition root; everything is built here and passed in.

const SHUTDOWN_GRACE_MS = 30_000;

async function main(): Promise<void> {
  const paths = wharfPaths();
  const host = process.env.WHARF_ROUTER_HOST ?? '127.0.0.1';
  const port = intFromEnv('WHARF_ROUTER_PORT', 8080);
  const upstreamTimeoutMs = intFromEnv('WHARF_ROUTER_UPSTREAM_TIMEOUT_MS', 60_000);
  const version = wharfVersion();

  const registry = new TargetRegistry();
  const table = new RouteTableStore(registry, paths.routerTable);
  const loaded = table.loadPersisted();
  const accessLog = new AccessLog(paths.accessLog);
  const traffic = new TrafficCounter(new TrafficLog(paths.trafficLog));
  const proxy = new Proxy(table, registry, accessLog, traffic, { upstreamTimeoutMs, listenPort: port });
  const upgrades = new UpgradeProxy(table, registry, port);

  const limits = connectionLimits(process.env);
  const budget = new ConnectionBudget(limits);
  const serverOptions = { budget, onError: rateLimitedLog('accept failed') };
  const privateListeners = new PrivateListeners(table, proxy, upgrades, log, serverOptions);

  const server = createProxyServer(proxy.handle, upgrades.handle, { ...serverOptions, perAddress: true });
  await server.listen({ port, host });
  // The persisted table's private ports, before the admin socket answers: once `ensureRouter`
  // sees a healthy router, they are bound (or listed in /health as privateErrors).
  await privateListeners.sync();

  mkdirSync(path.dirname(paths.routerSocket), { recursive: true });
  await removeStaleSocket(paths.routerSocket);
  const admin = createAdminServer({ table, registry, proxy, privateListeners, budget, version, listen: { host, port } });
  await listen(admin, { path: paths.routerSocket });
  chmodSync(paths.routerSocket, 0o600);
  writeFileSync(paths.routerPidFile, `${process.pid}\n`);

  process.stdout.write(
    JSON.stringify({
      time: new Date().toISOString(),
      msg: 'router started',
      pid: process.pid,
      version,
      listen: `http://${host}:${port}`,
      socket: paths.routerSocket,
      tableVersion: table.version,
      routes: table.table.routes.length,
      restoredTable: loaded,
      privatePorts: privateListeners.ports(),
      maxConnections: limits.maxConnections,
      maxConnectionsPerAddress: limits.maxPerAddress,
      descriptorLimit: limits.descriptorLimitSource === 'proc' ? limits.descriptorLimit : `unknown, sized for ${limits.descriptorLimit}`,
      ...(limits.lowered.length > 0 ? { lowered: limits.lowered } : {}),
    }) + '\n',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    server.close();
    admin.close();
    privateListeners.stop();
    server.closeIdleConnections();
    // Requests still running finish; their keep-alive sockets are closed as they go idle.
    await new Promise<void>((resolve) => {
      const check = () => {
        server.closeIdleConnections();
        privateListeners.closeIdle();
        if (registry.totalInflight() === 0 || Date.now() - started > SHUTDOWN_GRACE_MS) {
          unwatch();
          clearInterval(poll);
          resolve();
        }
      };
      const unwatch = registry.watch(() => setImmediate(check));
      const poll = setInterval(check, 100);
      check();
    });
    server.closeAllConnections();
    privateListeners.closeAll();
    upgrades.destroyAll();
    registry.closeAll();
    await accessLog.close();
    // The open bucket too: a restart loses no counted request.
    await traffic.close();
    removeOwnPidFile(paths.routerPidFile);
    process.stdout.write(
      JSON.stringify({ time: new Date().toISOString(), msg: 'router stopped', signal, waitedMs: Date.now() - started }) + '\n',
    );
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got '${raw}'`);
  return value;
}

/** At most one line a second for an error that can repeat on every accept (EMFILE). */
function rateLimitedLog(msg: string): (err: Error) => void {
  let last = 0;
  let suppressed = 0;
  return (err) => {
    const now = Date.now();
    if (now - last < 1_000) return void suppressed++;
    log(msg, { error: err.message, ...(suppressed > 0 ? { suppressed } : {}) });
    last = now;
    suppressed = 0;
  };
}

function log(msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), msg, ...fields }) + '\n');
}

/** A socket file left by a dead router blocks listen(); one a live router answers on must stay. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path: socketPath });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`another router is already listening on ${socketPath}`);
  rmSync(socketPath, { force: true });
}

// Only our own pid file: a new router may already have taken over while this one drained.
// The socket file is not touched for the same reason; a leftover one is cleared at next start.
function removeOwnPidFile(pidFile: string): void {
  try {
    if (readFileSync(pidFile, 'utf8').trim() === String(process.pid)) rmSync(pidFile, { force: true });
  } catch {
    /* already gone */
  }
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), msg: 'router failed to start', error: message }) + '\n');
  process.exit(1);
});
