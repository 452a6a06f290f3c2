import { startControlPlane } from './control-plane.js';
import { serverOptionsFromEnv } from './options.js';

// `npm start` / `wharf server`: the control plane on 127.0.0.1:7070, the router on :8080,
// state in WHARF_HOME (/var/lib/wharf for root, ~/.wharf otherwise: core/paths.ts). Ctrl-C stops the control plane; apps and router keep running.

const controlPlane = await startControlPlane(serverOptionsFromEnv()).catch((error: unknown) => {
  console.error(`wharf server: ${error instanceof Error ? error.message : String(error)}`);
  const hint = (error as { hint?: string }).hint;
  if (hint) console.error(`hint: ${hint}`);
  process.exit(1);
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void controlPlane.stop().finally(() => process.exit(0));
  });
}
