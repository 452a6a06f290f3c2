import { bindable } from '../ports.js';
import type { ServerOptions } from '../options.js';
import type { Store } from '../store/store.js';

// Each service instance keeps one private port for its whole life: the router listens there
// and forwards to the live replicas, so `http://${{api.RAILWAY_PRIVATE_DOMAIN}}:${{api.PORT}}`
// keeps working across deploys. Ports come from their own range (WHARF_PRIVATE_PORTS), away
// from the ephemeral ports replicas get, and must be free on the machine when handed out — a
// second Wharf on the same machine, or any other program, may hold some of them.


let assigning: Promise<void> = Promise.resolve();

/** Gives every instance without a private port a free one; calls are serialised. */
export function ensurePrivatePorts(store: Store, options: ServerOptions): Promise<void> {
  assigning = assigning.catch(() => undefined).then(async () => {
    const missing = store.projects.listInstances().filter((i) => i.privatePort === null);
    if (missing.length === 0) return;
    const used = store.projects.usedPrivatePorts();
    let port = options.privatePorts.first;
    for (const instance of missing) {
      while (port <= options.privatePorts.last && (used.has(port) || !(await bindable(port)))) port++;
      if (port > options.privatePorts.last) return;
      store.projects.setPrivatePort(instance.id, port);
      used.add(port);
    }
  });
  return assigning;
}
