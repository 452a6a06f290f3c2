import { updateCliConfig } from '../shared/cli-config.js';
import type { ServerOptions } from './options.js';
import type { Store } from './store/store.js';

/**
 * On the very first start there is no token: make an admin one, show it once, and hand it to
 * the CLI through its config file (mode 0600) so `wharf` works on this machine at once.
 */
export function bootstrapAdminToken(store: Store, options: ServerOptions, print: (line: string) => void): boolean {
  if (store.tokens.count() > 0) return false;
  const token = store.tokens.create('admin (first start)', 'admin');
  const apiUrl = `http://${options.apiHost.includes(':') ? `[${options.apiHost}]` : options.apiHost}:${options.apiPort}`;
  updateCliConfig(options.paths.cliConfig, (config) => ({ ...config, apiUrl, token }));
  print('');
  print('  Wharf created an admin API token. It is shown this once:');
  print(`    ${token}`);
  print(`  The CLI on this machine already has it (${options.paths.cliConfig}, mode 0600).`);
  print('  Elsewhere: export WHARF_API_URL=' + apiUrl + ' WHARF_TOKEN=<token>');
  print('');
  return true;
}
