import type { PrivateListenerError } from './client.js';
import type { HttpServer } from './http/server.js';
import { createProxyServer, type ProxyServerOptions } from './listener.js';
import type { Proxy } from './proxy.js';
import type { RouteTableStore } from './route-table.js';
import type { UpgradeProxy } from './upgrade.js';

// Private networking on one machine: one listener on 127.0.0.1:<privatePort> per route that has
// one, where every request goes to that route's targets whatever its Host header. Replicas
// change ports on every deploy; these ports do not, so an app can keep `http://127.0.0.1:<port>`.
//
// Listeners follow the table: a port that appears is bound (the PUT that brought it waits for
// that), one that stays is left alone (the control plane re-PUTs the table often), one that goes
// stops accepting at once and its open connections close once their requests have finished.

export type RouterLog = (msg: string, fields?: Record<string, unknown>) => void;

const BIND_HOST = '127.0.0.1';

interface Listener {
  port: number;
  server: HttpServer;
}

export class PrivateListeners {
  private readonly live = new Map<number, Listener>();
  private readonly closing = new Set<Listener>();
  private readonly failed = new Map<number, PrivateListenerError>();
  private syncing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly table: RouteTableStore,
    private readonly proxy: Proxy,
    private readonly upgrades: UpgradeProxy,
    private readonly log: RouterLog,
    /** The router's connection budget; private listeners count toward its total only. */
    private readonly serverOptions: ProxyServerOptions = {},
  ) {}

  /**
   * Makes the listeners match the current table. Calls are serialised and each one reconciles
   * with the table live when it runs, so the newest table always wins. Never rejects: a port
   * that cannot be bound is logged and listed by `errors()`, and tried again on the next call.
   */
  sync(): Promise<void> {
    const run = () => this.reconcile();
    this.syncing = this.syncing.then(run, run);
    return this.syncing;
  }

  /** Ports that are in the table but could not be bound. */
  errors(): PrivateListenerError[] {
    return [...this.failed.values()].sort((a, b) => a.port - b.port);
  }

  /** Ports being served. */
  ports(): number[] {
    return [...this.live.keys()].sort((a, b) => a - b);
  }

  /** Router shutdown: stop accepting on every private port; open connections are left to `closeIdle`/`closeAll`. */
  stop(): void {
    this.stopped = true;
    for (const l of this.live.values()) this.retire(l, false);
  }

  closeIdle(): void {
    for (const l of this.closing) l.server.closeIdleConnections();
  }

  closeAll(): void {
    for (const l of this.closing) l.server.closeAllConnections();
  }

  private async reconcile(): Promise<void> {
    if (this.stopped) return;
    const wanted = new Map<number, string>();
    for (const route of this.table.table.routes) {
      if (route.privatePort !== undefined && !wanted.has(route.privatePort)) wanted.set(route.privatePort, route.host);
    }
    for (const [port, listener] of this.live) if (!wanted.has(port)) this.retire(listener, true);
    for (const port of this.failed.keys()) if (!wanted.has(port)) this.failed.delete(port);
    const opening: Promise<void>[] = [];
    for (const [port, host] of wanted) if (!this.live.has(port)) opening.push(this.open(port, host));
    await Promise.all(opening);
  }

  private async open(port: number, host: string): Promise<void> {
    const listener: Listener = {
      port,
      server: createProxyServer(this.proxy.privateHandler(port), this.upgrades.privateHandler(port), { ...this.serverOptions, perAddress: false }),
    };
    try {
      await listener.server.listen({ port, host: BIND_HOST });
    } catch (err) {
      const error = (err as Error).message;
      const before = this.failed.get(port);
      this.failed.set(port, { host, port, error });
      // The control plane re-PUTs often: log a failure once, not on every retry.
      if (before?.error !== error || before.host !== host) this.log('private listener failed', { host, port, error });
      return;
    }
    if (this.stopped) {
      listener.server.close();
      return;
    }
    this.live.set(port, listener);
    const recovered = this.failed.delete(port);
    this.log('private listener opened', { host, port, listen: `http://${BIND_HOST}:${port}`, ...(recovered ? { recovered } : {}) });
  }

  private retire(listener: Listener, logIt: boolean): void {
    this.live.delete(listener.port);
    this.closing.add(listener);
    // Refuses new connections now and closes the idle kept-alive ones; a busy connection closes
    // after its response, which says `connection: close`.
    listener.server.close(() => this.closing.delete(listener));
    if (logIt) this.log('private listener closed', { port: listener.port, inflight: listener.server.inflight });
  }
}
