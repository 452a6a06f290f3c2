import { readFileSync } from 'node:fs';

// The Wharf version this router was started from: the control plane compares it with its own
// to notice a router left running from an older install. Same relative path from src/ and dist/.
export function wharfVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
