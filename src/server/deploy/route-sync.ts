import type { RouteTable } from '../../core/routes.js';
import { servesTraffic, type Endpoint, type Runtime } from '../../core/runtime.js';
import type { RouterClient } from '../../router/client.js';
import type { ServerOptions } from '../options.js';
import { serviceHost } from '../options.js';
import { hasRoute } from './host-conflicts.js';
import { ensurePrivatePorts } from './private-ports.js';
import type { Store } from '../store/store.js';

/** http://host:port, with an IPv6 host in brackets. */
export const endpointUrl = (endpoint: Endpoint): string =>
  `http://${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`;

/**
 * Builds the router's whole table from the store (routed replicas of each instance's active
 * deployment that serve traffic now: an unhealthy or restarting one is left out while its
 * siblings serve) and what the runtime reports, and pushes it: the router swaps it atomically.
 */
export class RouteSync {
  private lastVersion = 0;
  private lastSent = '';
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly runtime: Runtime,
    private readonly router: RouterClient,
    private readonly options: ServerOptions,
    private readonly onConflict?: (host: string, instanceId: string) => void,
  ) {}

  async table(): Promise<RouteTable> {
    await ensurePrivatePorts(this.store, this.options);
    const live = new Map((await this.runtime.list()).map((s) => [s.replicaId, s]));
    const routes: RouteTable['routes'] = [];
    for (const instance of this.store.projects.listInstances()) {
      if (!instance.activeDeploymentId) continue;
      const names = this.store.projects.describeInstance(instance.id);
      if (!hasRoute(names.service.kind)) continue;
      // Each target is where its driver says the replica is reached (a host port, a container).
      const targets = this.store.replicas
        .forInstance(instance.id)
        .filter((r) => r.routed && r.port !== null)
        .flatMap((r) => {
          const status = live.get(r.id);
          return status?.endpoint && servesTraffic(status) ? [{ id: r.id, url: endpointUrl(status.endpoint) }] : [];
        });
      routes.push({
        ...(instance.privatePort ? { privatePort: instance.privatePort } : {}),
        host: serviceHost(this.options, {
          project: names.project.name,
          environment: names.environment.name,
          service: names.service.name,
        }),
        serviceInstanceId: instance.id,
        deploymentId: instance.activeDeploymentId,
        targets,
      });
    }
    // Deploys that would share a host are refused (host-conflicts.ts), but a server restarted with
    // a narrower WHARF_HOST_PATTERN can find two live instances on one host: the first keeps it.
    const seen = new Set<string>();
    const unique = routes.filter((route) => {
      if (seen.has(route.host)) {
        this.onConflict?.(route.host, route.serviceInstanceId);
        return false;
      }
      seen.add(route.host);
      return true;
    });
    routes.length = 0;
    routes.push(...unique);
    // Milliseconds keep versions increasing across control-plane restarts.
    this.lastVersion = Math.max(Date.now(), this.lastVersion + 1);
    return { version: this.lastVersion, routes };
  }

  /**
   * Computes the table from the store as it is now and sends it. Pushes are serialised: each one
   * is computed after the previous was accepted, so a later push always carries the later state
   * and the router never sees an older table after a newer one (which it would refuse).
   */
  push(): Promise<void> {
    return this.serialised(async () => {
      const table = await this.table();
      await this.router.putRoutes(table);
      this.lastSent = JSON.stringify(table.routes);
    });
  }

  /** Like push, but only when the routes differ from the last table sent (the reconciler's pass). */
  pushIfChanged(): Promise<void> {
    return this.serialised(async () => {
      const table = await this.table();
      const content = JSON.stringify(table.routes);
      if (content === this.lastSent) return;
      await this.router.putRoutes(table);
      this.lastSent = content;
    });
  }

  private serialised(work: () => Promise<void>): Promise<void> {
    const run = this.queue.catch(() => undefined).then(work);
    this.queue = run;
    return run;
  }
}
