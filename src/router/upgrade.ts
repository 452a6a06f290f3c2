import net from 'node:net';
import type { Duplex } from 'node:stream';
import { rawErrorResponse, type RouterErrorKind } from './error-pages.js';
import { requestHead, upstreamHeaders } from './headers.js';
import type { IncomingRequest } from './http/request.js';
import { normalizeHost, type LiveRoute, type RouteTableStore } from './route-table.js';
import type { Target, TargetRegistry } from './targets.js';

// WebSockets and other upgrades: after the head, the router is a byte pipe. It never parses
// frames; it only counts the connection on its target so a drain can wait for it.

export class UpgradeProxy {
  private readonly open = new Set<Duplex>();

  constructor(
    private readonly table: RouteTableStore,
    private readonly registry: TargetRegistry,
    private readonly listenPort: number,
  ) {}

  readonly handle = (req: IncomingRequest, client: Duplex, head: Buffer): void => {
    client.on('error', () => client.destroy());
    const host = normalizeHost(req.host);
    const route = this.table.lookup(host);
    if (route === undefined) return refuse(client, 'no-route', host);
    const target = route.pick();
    if (target === undefined) return refuse(client, 'no-replica', host);
    const headers = upstreamHeaders(req, { listenPort: this.listenPort, keepUpgrade: true });
    this.connect(requestHead(req, headers), head, client, () => this.table.lookup(host), host, route, target, 0);
  };

  /** Upgrades on the private listener on `port`: the route is the one that owns the port. */
  privateHandler(port: number): (req: IncomingRequest, client: Duplex, head: Buffer) => void {
    return (req, client, head) => {
      client.on('error', () => client.destroy());
      const route = this.table.lookupPort(port);
      if (route === undefined) return refuse(client, 'no-route', `127.0.0.1:${port}`);
      const target = route.pick();
      if (target === undefined) return refuse(client, 'no-replica', route.host);
      const headers = upstreamHeaders(req, { listenPort: port, keepUpgrade: true });
      this.connect(requestHead(req, headers), head, client, () => this.table.lookupPort(port), route.host, route, target, 0);
    };
  }

  /** Open upgraded connections, cut when the router stops. */
  destroyAll(): void {
    for (const socket of this.open) socket.destroy();
  }

  private connect(
    head: string,
    buffered: Buffer,
    client: Duplex,
    current: () => LiveRoute | undefined,
    host: string,
    route: LiveRoute,
    target: Target,
    attempt: number,
  ): void {
    const upstream = net.connect({ host: target.hostname, port: target.port });
    upstream.setNoDelay(true);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      if (client.destroyed) return void upstream.destroy();
      this.registry.beginUpgrade(target);
      this.open.add(client);
      upstream.write(head);
      if (buffered.length > 0) upstream.write(buffered);
      upstream.pipe(client);
      client.pipe(upstream);
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        this.open.delete(client);
        upstream.destroy();
        client.destroy();
        this.registry.endUpgrade(target);
      };
      upstream.once('close', end);
      client.once('close', end);
    });
    upstream.on('error', () => {
      if (connected) return void upstream.destroy();
      if (client.destroyed) return;
      if (attempt === 0) {
        const next = (current() ?? route).pick(target);
        if (next !== undefined && next !== target) return this.connect(head, buffered, client, current, host, route, next, 1);
      }
      refuse(client, 'bad-gateway', host);
    });
  }
}

function refuse(client: Duplex, kind: RouterErrorKind, host: string): void {
  if (client.writable) client.end(rawErrorResponse(kind, host));
  else client.destroy();
}
