import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '../../test/helpers/wait.js';
import { LivenessMonitor, type LivenessEvents } from './liveness.js';

// The monitor against a real HTTP server on 127.0.0.1 that always answers 503.

async function sickServer(): Promise<{ port: number; probes: () => number; close: () => Promise<void> }> {
  let probes = 0;
  const server = http.createServer((_req, res) => {
    probes++;
    res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    probes: () => probes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function recorder() {
  const seen: string[] = [];
  let unhealthy: (detail: string) => void = () => undefined;
  const done = new Promise<string>((resolve) => (unhealthy = resolve));
  const events: LivenessEvents = {
    onHealthy: () => seen.push('healthy'),
    onStartupOver: () => seen.push('startup over'),
    onFailure: (n, detail) => seen.push(`failure ${n}: ${detail}`),
    onUnhealthy: (n, detail) => {
      seen.push(`unhealthy ${n}`);
      unhealthy(detail);
    },
  };
  return { seen, events, done };
}

test('a restarted run that never answers 2xx counts its failures once its start-up time is over', { timeout: 10_000 }, async () => {
  const server = await sickServer();
  const { seen, events, done } = recorder();
  const monitor = new LivenessMonitor(server.port, { path: '/health', intervalMs: 50, timeoutMs: 1000, failureThreshold: 2 }, events, { countFromMs: 300 });
  monitor.start();
  try {
    assert.equal(await done, 'HTTP 503');
    assert.deepEqual(seen, ['startup over', 'failure 1: HTTP 503', 'failure 2: HTTP 503', 'unhealthy 2']);
  } finally {
    monitor.stop();
    await server.close();
  }
});

test('a first run that is not healthy yet is left to whoever started it: nothing counts', async () => {
  const server = await sickServer();
  const { seen, events } = recorder();
  const monitor = new LivenessMonitor(server.port, { path: '/health', intervalMs: 20, timeoutMs: 1000, failureThreshold: 1 }, events, { countFromMs: null });
  monitor.start();
  try {
    await waitFor(() => server.probes() >= 5, { timeoutMs: 10_000, what: 'five probes' });
    assert.deepEqual(seen, []);
  } finally {
    monitor.stop();
    await server.close();
  }
});
