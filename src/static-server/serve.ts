import { createReadStream, promises as fs, type Stats } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { contentTypeFor } from './content-types.js';

// Serves one folder read-only: index.html for folders, HEAD, ETag/Last-Modified, a 404
// page, and never a file outside the root (symlinks included).

const NOT_FOUND_PAGE = '<!doctype html><meta charset="utf-8"><title>404 Not Found</title><h1>404 Not Found</h1>\n';

export function createStaticHandler(rootDir: string): http.RequestListener {
  const root = path.resolve(rootDir);
  let realRoot: string | null = null;
  return (req, res) => {
    void (async () => {
      realRoot ??= await fs.realpath(root);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method Not Allowed\n');
        return;
      }
      const found = await resolveFile(realRoot, req.url ?? '/');
      if (found === 'redirect') {
        const url = new URL(req.url ?? '/', 'http://x');
        res.writeHead(301, { location: `${url.pathname}/${url.search}` }).end();
        return;
      }
      if (!found) return notFound(req, res);
      const { file, stat } = found;
      const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
      const headers = {
        'content-type': contentTypeFor(file),
        'content-length': String(stat.size),
        etag,
        'last-modified': stat.mtime.toUTCString(),
        'cache-control': 'no-cache',
      };
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag, 'last-modified': headers['last-modified'] }).end();
        return;
      }
      res.writeHead(200, headers);
      if (req.method === 'HEAD') return void res.end();
      createReadStream(file)
        .on('error', () => res.destroy())
        .pipe(res);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Internal Server Error\n');
    });
  };
}

function notFound(req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(NOT_FOUND_PAGE)) });
  res.end(req.method === 'HEAD' ? undefined : NOT_FOUND_PAGE);
}

type Found = { file: string; stat: Stats } | 'redirect' | null;

/** The file a URL names inside root, or null; checked both as text and after symlinks. */
export async function resolveFile(realRoot: string, url: string): Promise<Found> {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url, 'http://x').pathname);
  } catch {
    return null;
  }
  // Checked after decoding, so `%2e%2e` and `%2f` cannot smuggle a `..` segment through.
  if (pathname.includes('\0') || pathname.includes('\\') || pathname.split('/').includes('..')) return null;
  let candidate = path.resolve(realRoot, '.' + pathname);
  if (!inside(realRoot, candidate)) return null;
  let stat: Stats;
  try {
    candidate = await fs.realpath(candidate);
    if (!inside(realRoot, candidate)) return null;
    stat = await fs.stat(candidate);
    if (stat.isDirectory()) {
      if (!pathname.endsWith('/')) return 'redirect';
      candidate = await fs.realpath(path.join(candidate, 'index.html'));
      if (!inside(realRoot, candidate)) return null;
      stat = await fs.stat(candidate);
    }
  } catch {
    return null;
  }
  return stat.isFile() ? { file: candidate, stat } : null;
}

function inside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** The first folder holding index.html, else the first that exists, else the first given. */
export async function pickRoot(dirs: readonly string[]): Promise<string> {
  for (const dir of dirs) {
    try {
      if ((await fs.stat(path.join(dir, 'index.html'))).isFile()) return dir;
    } catch {
      /* next */
    }
  }
  for (const dir of dirs) {
    try {
      if ((await fs.stat(dir)).isDirectory()) return dir;
    } catch {
      /* next */
    }
  }
  return dirs[0] ?? '.';
}
