import { isIP } from 'node:net';
import tls from 'node:tls';
import { WharfError } from '../../core/errors.js';
import type { CertificateEndpoint } from '../store/alerts.js';

// What a certificate rule looks at. Wharf does not terminate TLS yet, so a rule names endpoints
// and each is checked with a TLS handshake that accepts any certificate (so an expired or
// self-signed one is reported, not just refused) and says whether it would be trusted.
//
// A rule's targets are CertificateTargets: anything with a key and a check that returns a
// CertificateReport. When the router terminates TLS for custom domains, its own certificates
// become targets too (read from its certificate store, no handshake needed) and go through the
// same rule evaluation, states and notifications (see certificate-rules.ts).

export const DEFAULT_CERT_PORT = 443;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
const DAY_MS = 86_400_000;

/** What one check found. */
export interface CertificateReport {
  /** The target's key, e.g. `api.example.com:443`. */
  target: string;
  /** False when there was no certificate to read (refused, timed out, not TLS). */
  ok: boolean;
  validTo: Date | null;
  /** Days until validTo (negative once expired); null when there was no certificate. */
  daysLeft: number | null;
  /** A client with the system's CAs would accept it for this host name. */
  trusted: boolean;
  /** Why it is not trusted (an expired, self-signed or unknown-issuer certificate, another host name), or why the check failed. */
  problem: string | null;
  subject: string | null;
  issuer: string | null;
}

export interface CertificateTarget {
  key: string;
  check(timeoutMs: number): Promise<CertificateReport>;
}

/** OpenSSL's verification codes (what authorizationError holds) in words. */
const TRUST_PROBLEMS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown issuer (or an incomplete chain)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown issuer',
  UNABLE_TO_GET_ISSUER_CERT: 'unknown issuer',
  CERT_REVOKED: 'certificate revoked',
};

function trustProblem(why: Error | string | null | undefined): string {
  const code = typeof why === 'string' ? why : ((why as NodeJS.ErrnoException | null | undefined)?.code ?? why?.message);
  if (!code) return 'not trusted';
  return TRUST_PROBLEMS[code] ?? code;
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** `host`, `host:port`, `1.2.3.4:8443` or `[::1]:443` → an endpoint (443 by default). */
export function parseEndpoint(input: string): CertificateEndpoint {
  const text = input.trim().toLowerCase().replace(/^https:\/\//, '').replace(/\/$/, '');
  const bad = () =>
    new WharfError('BAD_REQUEST', `'${input}' is not a host or host:port`, { hint: 'Give a host name and optional port, e.g. --certificate api.example.com or --certificate api.example.com:8443.' });
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([0-9a-f:.]+)\](?::(\d+))?$/.exec(text);
  if (v6) [, host = '', portText] = v6;
  else if (isIP(text) === 6) host = text;
  else [host = '', portText] = text.split(/:(?=[^:]*$)/);
  if (portText !== undefined && !/^\d{1,5}$/.test(portText)) throw bad();
  const port = portText === undefined ? DEFAULT_CERT_PORT : Number(portText);
  if (port < 1 || port > 65535) throw bad();
  if (isIP(host) === 0 && !HOSTNAME.test(host)) throw bad();
  return { host, port };
}

export function endpointKey(endpoint: CertificateEndpoint): string {
  return isIP(endpoint.host) === 6 ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}

/** A handshake with the endpoint; never throws (a failed handshake is a report with ok: false). */
export function checkEndpoint(endpoint: CertificateEndpoint, timeoutMs = DEFAULT_HANDSHAKE_TIMEOUT_MS, now: () => number = Date.now): Promise<CertificateReport> {
  const target = endpointKey(endpoint);
  const failed = (problem: string): CertificateReport => ({ target, ok: false, validTo: null, daysLeft: null, trusted: false, problem, subject: null, issuer: null });
  return new Promise((resolve) => {
    let settled = false;
    const socket = tls.connect({
      host: endpoint.host,
      port: endpoint.port,
      // SNI takes names only.
      ...(isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {}),
      rejectUnauthorized: false,
    });
    const done = (report: CertificateReport) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(report);
    };
    const timer = setTimeout(() => done(failed(`no TLS handshake within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    socket.once('error', (error: NodeJS.ErrnoException) => done(failed(`the TLS handshake failed: ${error.message}`)));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      if (!cert || !cert.valid_to) return done(failed('the server sent no certificate'));
      const validTo = new Date(cert.valid_to);
      const mismatch = tls.checkServerIdentity(endpoint.host, cert);
      const problem = socket.authorized ? (mismatch ? mismatch.message : null) : trustProblem(socket.authorizationError as Error | string | null | undefined);
      done({
        target,
        ok: true,
        validTo,
        daysLeft: (validTo.getTime() - now()) / DAY_MS,
        trusted: problem === null,
        problem,
        subject: cert.subject?.CN ? String(cert.subject.CN) : null,
        issuer: cert.issuer?.CN ? String(cert.issuer.CN) : null,
      });
    });
  });
}

/** The targets of a rule's endpoints: a handshake each. */
export function endpointTargets(endpoints: readonly CertificateEndpoint[], now?: () => number): CertificateTarget[] {
  return endpoints.map((e) => ({ key: endpointKey(e), check: (timeoutMs: number) => checkEndpoint(e, timeoutMs, now) }));
}
