import { mkdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { routeTableSchema, type Route, type RouteTable } from '../core/routes.js';
import type { Target, TargetRegistry } from './targets.js';

// The live table. A swap builds the whole lookup structure aside and installs it with one
// assignment, so a request sees either the old table or the new one, never a mix.

export class LiveRoute {
  /** Normalised, as the table is keyed. */
  readonly host: string;
  readonly privatePort: number | undefined;
  readonly targets: readonly Target[];
  private next = 0;

  constructor(route: Route, targets: Target[]) {
    this.host = normalizeHost(route.host);
    this.privatePort = route.privatePort;
    this.targets = targets;
  }

  /** Round robin; `after` skips a target that just failed when there is another one. */
  pick(after?: Target): Target | undefined {
    const n = this.targets.length;
    if (n === 0) return undefined;
    let t = this.targets[this.next++ % n]!;
    if (this.next >= 1 << 30) this.next = 0;
    if (t === after && n > 1) t = this.targets[this.next++ % n]!;
    return t;
  }
}

interface Compiled {
  table: RouteTable;
  byHost: Map<string, LiveRoute>;
  /** Private listener port → route; the admin API refuses a table that lists a port twice. */
  byPort: Map<number, LiveRoute>;
}

export class RouteTableStore {
  private current: Compiled;
  private persisting: Promise<void> = Promise.resolve();

  constructor(
    private readonly registry: TargetRegistry,
    private readonly file: string,
  ) {
    this.current = this.compile({ version: 0, routes: [] });
  }

  get table(): RouteTable {
    return this.current.table;
  }

  get version(): number {
    return this.current.table.version;
  }

  lookup(host: string): LiveRoute | undefined {
    return this.current.byHost.get(host);
  }

  /** The route a private listener serves: always the current table's, so swaps are seen at once. */
  lookupPort(port: number): LiveRoute | undefined {
    return this.current.byPort.get(port);
  }

  swap(table: RouteTable): void {
    const compiled = this.compile(table);
    this.current = compiled;
    this.registry.commit(allTargets(compiled));
  }

  /** Writes the current table (tmp + rename); calls are serialised so the newest always lands last. */
  persist(): Promise<void> {
    const run = async () => {
      const table = this.current.table;
      await mkdir(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(table, null, 2) + '\n', { mode: 0o600 });
      await rename(tmp, this.file);
    };
    this.persisting = this.persisting.then(run, run);
    return this.persisting;
  }

  /** The table saved by a previous run, so a restarted router serves at once; false if none or invalid. */
  loadPersisted(): boolean {
    let raw: string;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      raw = readFileSync(this.file, 'utf8');
    } catch {
      return false;
    }
    try {
      const parsed = routeTableSchema.safeParse(JSON.parse(raw));
      if (!parsed.success) return false;
      this.swap(parsed.data);
      return true;
    } catch {
      return false;
    }
  }

  private compile(table: RouteTable): Compiled {
    const byHost = new Map<string, LiveRoute>();
    const byPort = new Map<number, LiveRoute>();
    const fresh = new Map<string, Target>();
    for (const route of table.routes) {
      const live = new LiveRoute(route, this.registry.resolve(route.targets, fresh));
      byHost.set(live.host, live);
      if (live.privatePort !== undefined && !byPort.has(live.privatePort)) byPort.set(live.privatePort, live);
    }
    return { table, byHost, byPort };
  }
}

function* allTargets(compiled: Compiled): Iterable<Target> {
  for (const route of compiled.byHost.values()) yield* route.targets;
  // A route whose host a later one shadowed is still reachable on its private port.
  for (const route of compiled.byPort.values()) yield* route.targets;
}

/** Private ports listed by more than one route, with the hosts that claim them. */
export function duplicatePrivatePorts(table: RouteTable): Array<{ port: number; hosts: string[] }> {
  const hosts = new Map<number, string[]>();
  for (const route of table.routes) {
    if (route.privatePort === undefined) continue;
    const list = hosts.get(route.privatePort) ?? [];
    list.push(route.host);
    hosts.set(route.privatePort, list);
  }
  return [...hosts].filter(([, list]) => list.length > 1).map(([port, list]) => ({ port, hosts: list }));
}

/** Host header → table key: lowercase, without port or trailing dot. */
export function normalizeHost(host: string | undefined): string {
  if (!host) return '';
  let h = host;
  if (h.charCodeAt(0) === 91 /* [ */) {
    const close = h.indexOf(']');
    h = close === -1 ? h : h.slice(0, close + 1);
  } else {
    const colon = h.indexOf(':');
    if (colon !== -1) h = h.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h.toLowerCase();
}
