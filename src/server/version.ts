import { readFileSync } from 'node:fs';

/** Wharf's version, from the package.json two levels up from src/ or dist/. */
export const WHARF_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
