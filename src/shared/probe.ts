import http from 'node:http';
import net from 'node:net';

import type { Endpoint } from '../core/runtime.js';

// Health checks run from Wharf itself, so apps and images never need curl inside them. A
// replica is reached at its endpoint (ReplicaStatus.endpoint); a bare port means 127.0.0.1.

const endpointOf = (target: Endpoint | number): Endpoint => (typeof target === 'number' ? { host: '127.0.0.1', port: target } : target);

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

export function probeHttp(target: Endpoint | number, path: string, host: string, timeoutMs: number): Promise<ProbeResult> {
  const { host: address, port } = endpointOf(target);
  return new Promise((resolve) => {
    const req = http.get({ host: address, port, path, agent: false, timeout: timeoutMs, headers: { host, 'user-agent': 'wharf-healthcheck' } }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve({ ok: status >= 200 && status < 300, detail: `HTTP ${status}` });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, detail: err.code ?? err.message }));
  });
}

export function probeTcp(target: Endpoint | number, timeoutMs: number): Promise<ProbeResult> {
  const endpoint = endpointOf(target);
  return new Promise((resolve) => {
    const socket = net.connect({ host: endpoint.host, port: endpoint.port });
    const done = (result: ProbeResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, detail: `no connection within ${timeoutMs} ms` }));
    socket.once('connect', () => done({ ok: true, detail: 'port accepts connections' }));
    socket.once('error', (err: NodeJS.ErrnoException) => done({ ok: false, detail: err.code ?? err.message }));
  });
}
