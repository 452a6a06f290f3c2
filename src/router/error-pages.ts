import type { OutgoingResponse } from './http/response.js';

// What a visitor sees when the router itself answers. Small, and never naming internal
// ports or paths: the page is public.

export type RouterErrorKind = 'no-route' | 'no-replica' | 'bad-gateway' | 'timeout';

interface Page {
  status: number;
  code: string;
  title: string;
  message: (host: string) => string;
  hint: string;
}

const PAGES: Record<RouterErrorKind, Page> = {
  'no-route': {
    status: 404,
    code: 'NO_ROUTE',
    title: 'Not found',
    message: (host) => `No service is routed at ${host}`,
    hint: 'Check the URL; `wharf status` lists the URL of every service.',
  },
  'no-replica': {
    status: 503,
    code: 'NO_READY_REPLICA',
    title: 'Service unavailable',
    message: (host) => `${host} has no ready replica`,
    hint: 'The service is starting or being deployed; try again in a few seconds.',
  },
  'bad-gateway': {
    status: 502,
    code: 'UPSTREAM_FAILED',
    title: 'Bad gateway',
    message: (host) => `${host}: the app did not answer`,
    hint: 'The app may have crashed or be restarting; its logs say why (`wharf logs`).',
  },
  timeout: {
    status: 504,
    code: 'UPSTREAM_TIMEOUT',
    title: 'Gateway timeout',
    message: (host) => `${host}: the app took too long to answer`,
    hint: 'The app did not send a response in time; its logs may say why (`wharf logs`).',
  },
};

export function errorStatus(kind: RouterErrorKind): number {
  return PAGES[kind].status;
}

/** Writes the error page; returns the number of body bytes for the access log. */
export function sendError(res: OutgoingResponse, accept: string | undefined, kind: RouterErrorKind, rawHost: string): number {
  const page = PAGES[kind];
  const host = displayHost(rawHost);
  const message = page.message(host);
  const json = prefersJson(accept);
  const body = json
    ? JSON.stringify({ error: { code: page.code, message, hint: page.hint } })
    : html(page, message);
  const headers = ['content-type', json ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8', 'cache-control', 'no-store'];
  if (kind === 'no-replica') headers.push('retry-after', '5');
  return res.respond(page.status, headers, body);
}

/** A raw response for an upgrade request that cannot be proxied (the socket is already handed over). */
export function rawErrorResponse(kind: RouterErrorKind, rawHost: string): string {
  const page = PAGES[kind];
  const body = page.message(displayHost(rawHost)) + '\n';
  return (
    `HTTP/1.1 ${page.status} ${page.title}\r\n` +
    `content-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n` +
    body
  );
}

export function prefersJson(accept: string | undefined): boolean {
  if (!accept) return false;
  const json = accept.indexOf('application/json');
  if (json === -1) return false;
  const htmlAt = accept.indexOf('text/html');
  return htmlAt === -1 || json < htmlAt;
}

function html(page: Page, message: string): string {
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>${page.status} ${page.title}</title>` +
    '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:15vh auto;padding:0 1rem;color:#222}' +
    'h1{font-size:1.25rem}p{color:#555}</style></head>' +
    `<body><h1>${escapeHtml(message)}</h1><p>${escapeHtml(page.hint)}</p><p><small>${page.status} · Wharf</small></p></body></html>`
  );
}

// The Host header is client input: cap it and keep it printable.
function displayHost(host: string): string {
  const cleaned = host.replace(/[^\x21-\x7e]/g, '').slice(0, 253);
  return cleaned || 'this address';
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
