// Does a value point at a given database? A database is named by a host (`db.prod.internal`,
// `cluster0.abc.mongodb.net:27017`) or a URL (`postgres://app@db.prod.internal:5432/app`).
// A host matches where it appears as a whole host name (not `xdb.prod.internal`, not
// `db.prod.internal.example.com`). A URL matches a value that holds it verbatim, or that names
// one of its hosts and also its database (`/app`, as a whole path segment) and its user, when
// the URL has them: one Atlas cluster often serves production and staging under different
// database names, and that alone is not a production database.

export type DatabaseMatcher = (value: string) => boolean;

const URL_PARTS = /^[a-z][a-z0-9+.-]*:\/\/(?:([^:@/]*)(?::[^@/]*)?@)?([^/?#]+)(?:\/([^?#]*))?/i;

export function databaseMatcher(entry: string): DatabaseMatcher {
  const text = entry.trim();
  const url = URL_PARTS.exec(text);
  if (!url) {
    const host = hostPattern(stripPort(text));
    return (value) => host.test(value);
  }
  const [, user, hostList, path] = url;
  const hosts = hostList!.split(',').map((h) => hostPattern(stripPort(h)));
  const database = path?.replace(/\/+$/, '') ?? '';
  const databasePattern = database ? new RegExp(`/${escape(database)}(?=$|[/?#\\s"'])`) : null;
  const userPattern = user ? new RegExp(`(?<![A-Za-z0-9._%-])${escape(user)}[:@]`) : null;
  const verbatim = new RegExp(`${escape(text.replace(/\/+$/, ''))}(?![A-Za-z0-9_.-])`);
  return (value) =>
    verbatim.test(value) ||
    (hosts.some((h) => h.test(value)) && (!databasePattern || databasePattern.test(value)) && (!userPattern || userPattern.test(value)));
}

/** The same database entry, compared loosely (case, trailing slash). */
export function sameEntry(a: string, b: string): boolean {
  const norm = (s: string) => s.trim().toLowerCase().replace(/\/+$/, '');
  return norm(a) === norm(b);
}

function stripPort(host: string): string {
  return host.trim().replace(/^\[(.*)\](:\d+)?$/, '$1').replace(/:\d+$/, '');
}

function hostPattern(host: string): RegExp {
  return new RegExp(`(?<![A-Za-z0-9.-])${escape(host)}(?![A-Za-z0-9-]|\\.[A-Za-z0-9])`, 'i');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
