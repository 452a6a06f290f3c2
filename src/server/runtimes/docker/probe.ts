import http from 'node:http';
import net from 'node:net';
import type { Endpoint } from '../../../core/runtime.js';
import type { ProbeResult } from '../../../shared/probe.js';

// The liveness probes of src/shared/probe.ts, aimed at a container's endpoint (its address on
// its network) instead of 127.0.0.1.

export function probeEndpoint(endpoint: Endpoint, path: string | null, timeoutMs: number): Promise<ProbeResult> {
  return path === null ? probeTcpAt(endpoint, timeoutMs) : probeHttpAt(endpoint, path, timeoutMs);
}

function probeHttpAt({ host, port }: Endpoint, path: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, agent: false, timeout: timeoutMs, headers: { 'user-agent': 'wharf-healthcheck' } }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve({ ok: status >= 200 && status < 300, detail: `HTTP ${status}` });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, detail: err.code ?? err.message }));
  });
}

function probeTcpAt({ host, port }: Endpoint, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (result: ProbeResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, detail: `no connection within ${timeoutMs} ms` }));
    socket.once('connect', () => done({ ok: true, detail: 'port accepts connections' }));
    socket.once('error', (err: NodeJS.ErrnoException) => done({ ok: false, detail: err.code ?? err.message }));
  });
}
