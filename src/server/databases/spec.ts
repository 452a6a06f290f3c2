import net from 'node:net';
import { bindable } from '../ports.js';
import type { DatabaseEngine, DatabaseProvider, DatabaseSpec } from '../../core/database.js';
import { WharfError } from '../../core/errors.js';
import type { DatabaseRecord } from '../store/databases.js';
import type { Store } from '../store/store.js';
import { readRuntime } from './runtime-marker.js';

// Small pieces the database manager shares: the spec of a record, the providers by engine,
// and a free port for a new server.

export type Providers = Partial<Record<DatabaseEngine, DatabaseProvider>>;

export function specOf(store: Store, record: DatabaseRecord): DatabaseSpec {
  const service = store.projects.describeInstance(record.instanceId).service;
  return { id: record.id, engine: record.engine, name: service.name, dataDir: record.dataDir, port: record.port, credentials: record.credentials, runtime: readRuntime(record.dataDir) };
}

export function providerFor(providers: Providers, engine: DatabaseEngine): DatabaseProvider {
  const provider = providers[engine];
  if (!provider) {
    throw new WharfError('RUNTIME_ERROR', `${engine} databases are not available on this server`, {
      hint: 'Check the server log at start for the missing binaries and the package that provides them.',
    });
  }
  return provider;
}


/** A port for a new database server: from Wharf's private range, free now and unused by any database. */
export async function freeDatabasePort(store: Store, range: { first: number; last: number }): Promise<number> {
  const used = new Set([...store.databases.usedPorts(), ...store.projects.usedPrivatePorts()]);
  // Databases take the top of the range, services' private ports the bottom.
  for (let port = range.last; port >= range.first; port--) {
    if (!used.has(port) && (await bindable(port))) return port;
  }
  throw new WharfError('RUNTIME_ERROR', 'no free port left for a database server', { hint: 'Widen WHARF_PRIVATE_PORTS.' });
}

export function waitForPort(port: number, timeoutMs: number, isDead: () => Promise<string | null>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', async () => {
        socket.destroy();
        const dead = await isDead();
        if (dead) return reject(new WharfError('RUNTIME_ERROR', `the database server stopped while starting: ${dead}`, { hint: 'See `wharf logs -s <database>`.' }));
        if (Date.now() > deadline) return reject(new WharfError('RUNTIME_ERROR', `the database server did not accept connections on port ${port} within ${timeoutMs / 1000} s`, { hint: 'See `wharf logs -s <database>`.' }));
        setTimeout(attempt, 200);
      });
    };
    attempt();
  });
}
