import type { RouteTarget, TargetStats } from '../core/routes.js';
import { UpstreamPool } from './upstream.js';

// One upstream replica as the router sees it: where it listens, a keep-alive pool to it, and
// how much work is still running on it. A target that leaves the table is "retired": it keeps
// being counted (drain waits on it) and its pool is closed only once its last request ends.

export class Target {
  readonly id: string;
  readonly url: string;
  readonly hostname: string;
  readonly port: number;
  inflight = 0;
  upgraded = 0;
  requests = 0;
  retired = false;
  private pool: UpstreamPool | null = null;

  constructor(target: RouteTarget) {
    const url = new URL(target.url);
    this.id = target.id;
    this.url = target.url;
    // URL keeps the brackets of an IPv6 literal; net.connect wants the bare address.
    this.hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  }

  /** Created on first use: a target that never gets a request never opens a socket. */
  getPool(): UpstreamPool {
    if (this.pool === null) {
      this.pool = new UpstreamPool({
        host: this.hostname,
        port: this.port,
        // Node's default server keep-alive is 5 s: reuse sockets just below that.
        keepAliveTimeoutMs: 4_000,
        keepAliveMaxTimeoutMs: 60_000,
        connectTimeoutMs: 5_000,
      });
    }
    return this.pool;
  }

  get busy(): number {
    return this.inflight + this.upgraded;
  }

  closePool(): void {
    const pool = this.pool;
    this.pool = null;
    if (pool) pool.close().catch(() => pool.destroy().catch(() => undefined));
  }
}

export class TargetRegistry {
  private readonly active = new Map<string, Target>();
  private readonly retiredTargets = new Set<Target>();
  private readonly watchers = new Set<() => void>();

  /**
   * The Target objects for a new table: same id and url reuse the live one (and its pool).
   * `fresh` is shared across one table so an id listed by two routes is one Target.
   */
  resolve(targets: readonly RouteTarget[], fresh: Map<string, Target>): Target[] {
    return targets.map((t) => {
      const seen = fresh.get(t.id);
      if (seen && seen.url === t.url) return seen;
      const existing = this.active.get(t.id);
      const target = existing && existing.url === t.url ? existing : new Target(t);
      fresh.set(t.id, target);
      return target;
    });
  }

  /** Makes `targets` the live set; those that left it retire. */
  commit(targets: Iterable<Target>): void {
    const next = new Map<string, Target>();
    for (const t of targets) next.set(t.id, t);
    for (const [id, old] of this.active) {
      if (next.get(id) !== old) this.retire(old);
    }
    for (const t of next.values()) {
      if (t.retired) {
        // Back in the table (e.g. a rollback) before its work ended.
        t.retired = false;
        this.retiredTargets.delete(t);
      }
    }
    this.active.clear();
    for (const [id, t] of next) this.active.set(id, t);
  }

  begin(target: Target): void {
    target.inflight++;
    target.requests++;
  }

  end(target: Target): void {
    target.inflight--;
    this.settle(target);
  }

  beginUpgrade(target: Target): void {
    target.upgraded++;
  }

  endUpgrade(target: Target): void {
    target.upgraded--;
    this.settle(target);
  }

  /** In-flight requests plus upgraded connections, summed over every Target with one of these ids. */
  remaining(ids: ReadonlySet<string>): number {
    let total = 0;
    for (const t of this.active.values()) if (ids.has(t.id)) total += t.busy;
    for (const t of this.retiredTargets) if (ids.has(t.id)) total += t.busy;
    return total;
  }

  totalInflight(): number {
    let total = 0;
    for (const t of this.active.values()) total += t.inflight;
    for (const t of this.retiredTargets) total += t.inflight;
    return total;
  }

  /** Called after any count goes down; returns the unsubscribe function. */
  watch(onChange: () => void): () => void {
    this.watchers.add(onChange);
    return () => this.watchers.delete(onChange);
  }

  stats(): TargetStats[] {
    const byId = new Map<string, TargetStats>();
    const add = (t: Target) => {
      const s = byId.get(t.id) ?? { id: t.id, inflight: 0, upgraded: 0, requests: 0 };
      s.inflight += t.inflight;
      s.upgraded += t.upgraded;
      s.requests += t.requests;
      byId.set(t.id, s);
    };
    for (const t of this.active.values()) add(t);
    for (const t of this.retiredTargets) add(t);
    return [...byId.values()];
  }

  closeAll(): void {
    for (const t of this.active.values()) t.closePool();
    for (const t of this.retiredTargets) t.closePool();
  }

  private retire(target: Target): void {
    target.retired = true;
    if (target.busy === 0) target.closePool();
    else this.retiredTargets.add(target);
  }

  private settle(target: Target): void {
    if (target.retired && target.busy === 0) {
      this.retiredTargets.delete(target);
      target.closePool();
    }
    if (this.watchers.size > 0) for (const w of this.watchers) w();
  }
}
