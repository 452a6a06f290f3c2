import type net from 'node:net';
import type { ConnectionStats } from '../core/routes.js';
import { addressKey, SHED_AT, SHED_TO, type ConnectionLimits } from './limits.js';

// One budget of client connections for the whole router (the public listener and every private
// one draw from it), so idle connections cannot take the descriptors that requests need.
//
// A new connection is admitted, or refused with a short answer when its address already holds
// its share or the router is full. Before refusing for fullness, and already when the router
// nears the cap, the idlest connections (kept-alive ones with no request, or only part of one:
// a slow client's) are closed, oldest idle first; busy ones are never cut. Accounting follows
// the socket, not the HTTP connection, so an upgraded one (a WebSocket) still counts.

/** What the budget needs of a server's connections. */
export interface Sheddable {
  readonly idle: boolean;
  readonly idleSince: number;
  readonly socket: net.Socket;
  destroy(): void;
}

export interface SheddableSource {
  idleConnections(): Iterable<Sheddable>;
}

export type Verdict = 'ok' | 'address' | 'full';

const RESCAN_AFTER_MS = 50;
const COUNTED = Symbol('wharf.counted');
type Counted = net.Socket & { [COUNTED]?: string };

export class ConnectionBudget {
  open = 0;
  refusedAddress = 0;
  refusedFull = 0;
  shed = 0;
  private readonly byAddress = new Map<string, number>();
  private readonly sources = new Set<SheddableSource>();
  /** When a scan last found too few idle connections: all busy, so the next accepts do not rescan. */
  private fruitlessScanAt = 0;

  constructor(readonly limits: ConnectionLimits) {}

  attach(source: SheddableSource): void {
    this.sources.add(source);
  }

  detach(source: SheddableSource): void {
    this.sources.delete(source);
  }

  /**
   * Counts the socket in, or says why not. `perAddress` is false for the private listeners:
   * every app reaches them from 127.0.0.1, so only the total applies there.
   */
  admit(socket: net.Socket, perAddress: boolean): Verdict {
    const key = addressKey(socket.remoteAddress);
    const max = this.limits.maxConnections;
    if (perAddress && this.limits.maxPerAddress > 0 && (this.byAddress.get(key) ?? 0) >= this.limits.maxPerAddress) {
      this.refusedAddress++;
      return 'address';
    }
    if (this.open >= Math.floor(max * SHED_AT)) this.shedIdle(this.open - Math.floor(max * SHED_TO));
    if (this.open >= max) {
      this.refusedFull++;
      return 'full';
    }
    this.open++;
    this.byAddress.set(key, (this.byAddress.get(key) ?? 0) + 1);
    (socket as Counted)[COUNTED] = key;
    socket.once('close', () => this.release(socket));
    return 'ok';
  }

  stats(): ConnectionStats {
    const top = [...this.byAddress]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([address, open]) => ({ address, open }));
    return {
      open: this.open,
      maxConnections: this.limits.maxConnections,
      maxPerAddress: this.limits.maxPerAddress,
      descriptorLimit: this.limits.descriptorLimit,
      refusedAddress: this.refusedAddress,
      refusedFull: this.refusedFull,
      shed: this.shed,
      top,
    };
  }

  /** Idempotent: a shed socket is released at once (its descriptor is closed synchronously). */
  private release(socket: net.Socket): void {
    const counted = socket as Counted;
    const key = counted[COUNTED];
    if (key === undefined) return;
    counted[COUNTED] = undefined;
    this.open--;
    const left = (this.byAddress.get(key) ?? 1) - 1;
    if (left <= 0) this.byAddress.delete(key);
    else this.byAddress.set(key, left);
  }

  /** Closes up to `count` idle connections, the longest idle first. One scan per batch, not per accept. */
  private shedIdle(count: number): void {
    if (count <= 0 || Date.now() - this.fruitlessScanAt < RESCAN_AFTER_MS) return;
    const idle: Sheddable[] = [];
    for (const source of this.sources) for (const conn of source.idleConnections()) idle.push(conn);
    idle.sort((a, b) => a.idleSince - b.idleSince);
    for (const conn of idle.slice(0, count)) {
      this.release(conn.socket);
      conn.destroy();
      this.shed++;
    }
    if (idle.length < count) this.fruitlessScanAt = Date.now();
  }
}
