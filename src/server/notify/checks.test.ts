import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackupRecord } from '../store/databases.js';
import { backupAgeFinding, newestBackup } from './backup-age.js';
import { breaches, describeReport } from './certificate-rules.js';
import { endpointKey, parseEndpoint, type CertificateReport } from './certificates.js';
import { roughDuration } from './rules.js';

// The pure parts of backup-age and certificate rules, table-driven.

test('certificate endpoints as users type them', () => {
  const cases: Array<[string, string]> = [
    ['api.example.com', 'api.example.com:443'],
    ['API.Example.com:8443', 'api.example.com:8443'],
    ['https://api.example.com/', 'api.example.com:443'],
    ['127.0.0.1:9443', '127.0.0.1:9443'],
    ['[::1]:8443', '[::1]:8443'],
    ['::1', '[::1]:443'],
  ];
  for (const [input, key] of cases) assert.equal(endpointKey(parseEndpoint(input)), key, input);
  for (const bad of ['', 'api.example.com:0', 'api.example.com:70000', 'api.example.com:https', 'a b.com', '-bad.com', 'x'.repeat(64) + '.com', 'api.example.com:443/path']) {
    assert.throws(() => parseEndpoint(bad), /is not a host or host:port/, bad);
  }
});

/** A backup record with what the rule reads (the rest of the record does not matter here). */
const backup = (id: string, over: Partial<BackupRecord>) =>
  ({ id, kind: 'scheduled', status: 'SUCCEEDED', createdAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:00.000Z', ...over }) as BackupRecord;

test('backup age: the newest successful dump counts; failed, running and base backups do not; none breaches', () => {
  const now = Date.parse('2026-01-02T06:00:00.000Z');
  const day = 24 * 3_600_000;
  assert.deepEqual(backupAgeFinding([], day, now), { breaching: true, ageMs: null, backupId: null });
  const list = [
    backup('bak_old', { finishedAt: '2026-01-01T00:00:00.000Z' }),
    backup('bak_failed', { status: 'FAILED', finishedAt: '2026-01-02T05:00:00.000Z' }),
    backup('bak_running', { status: 'RUNNING', finishedAt: null, createdAt: '2026-01-02T05:30:00.000Z' }),
    backup('bak_base', { kind: 'base', finishedAt: '2026-01-02T05:45:00.000Z' }),
  ];
  assert.equal(newestBackup(list)?.id, 'bak_old');
  assert.deepEqual(backupAgeFinding(list, day, now), { breaching: true, ageMs: 30 * 3_600_000, backupId: 'bak_old' });
  assert.equal(backupAgeFinding(list, 31 * 3_600_000, now).breaching, false);
  const fresh = [...list, backup('bak_new', { kind: 'manual', finishedAt: '2026-01-02T05:50:00.000Z' })];
  assert.deepEqual(backupAgeFinding(fresh, day, now), { breaching: false, ageMs: 10 * 60_000, backupId: 'bak_new' });
});

test('certificate findings: days left against the threshold, a failed handshake breaches, trust is reported', () => {
  const report = (over: Partial<CertificateReport>): CertificateReport => ({
    target: 'api.example.com:443', ok: true, validTo: new Date('2026-03-01T00:00:00Z'), daysLeft: 30, trusted: true, problem: null, subject: 'api.example.com', issuer: 'CA', ...over,
  });
  assert.equal(breaches(report({ daysLeft: 30 }), 14), false);
  assert.equal(breaches(report({ daysLeft: 13.9 }), 14), true);
  assert.equal(breaches(report({ daysLeft: -2 }), 14), true);
  assert.equal(breaches(report({ ok: false, validTo: null, daysLeft: null, problem: 'the TLS handshake failed: connect ECONNREFUSED' }), 14), true);
  assert.equal(describeReport(report({ daysLeft: 2.5 })), 'expires in 2d 12h (2026-03-01)');
  assert.equal(describeReport(report({ daysLeft: 2.5 }), 14), 'expires in 2d 12h (2026-03-01), fewer than 14 days left');
  assert.equal(describeReport(report({ daysLeft: 20 }), 14), 'expires in 20d (2026-03-01)');
  assert.equal(describeReport(report({ daysLeft: -3, trusted: false, problem: 'certificate has expired' })), 'expired 3d ago (2026-03-01); not trusted: certificate has expired');
  assert.equal(describeReport(report({ ok: false, validTo: null, daysLeft: null, problem: 'no TLS handshake within 10 s' })), 'could not be checked: no TLS handshake within 10 s');
});

test('rough durations', () => {
  assert.deepEqual([45_000, 12 * 60_000, 3 * 3_600_000 + 5 * 60_000, 3 * 3_600_000, 2 * 86_400_000 + 4 * 3_600_000, 2 * 86_400_000].map(roughDuration), ['45s', '12m', '3h 5m', '3h', '2d 4h', '2d']);
});
