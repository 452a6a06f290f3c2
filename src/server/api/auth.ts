import type { MiddlewareHandler } from 'hono';
import { WharfError } from '../../core/errors.js';
import type { Store } from '../store/store.js';

/** Bearer-token auth for every route not marked public. */
export function requireToken(store: Store, isPublic: (method: string, path: string) => boolean): MiddlewareHandler {
  return async (c, next) => {
    if (isPublic(c.req.method, c.req.path)) return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match || !store.tokens.verify(match[1]!)) {
      throw new WharfError('UNAUTHORIZED', match ? 'the API token is not valid' : 'this request needs an API token', {
        hint: 'The first `npm start` wrote a token to the CLI config (config.json in WHARF_HOME: /var/lib/wharf for root, ~/.wharf otherwise); or set WHARF_TOKEN.',
      });
    }
    return next();
  };
}
