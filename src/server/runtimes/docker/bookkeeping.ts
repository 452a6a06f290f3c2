import fs from 'node:fs';
import path from 'node:path';
import type { SecretBox } from '../../../shared/secrets/secret-box.js';
import type { SecretValue } from '../../../shared/secrets/redact.js';
import type { ReplicaFacts } from './labels.js';

// The little the engine does not keep for us, one folder per replica under the driver's state
// folder: whether Wharf stopped it, the restarts Wharf itself made (liveness), the last log
// timestamp written, and the secret values to redact, sealed with the control plane's key.
// Its existence also means "Wharf still wants to know about this replica": a container gone
// behind Wharf's back while this folder exists is `lost`.

export interface ReplicaRecord {
  facts: ReplicaFacts;
  /** Secret values, encrypted with the control plane's SecretBox; never in clear on disk. */
  sealedSecrets?: string;
  /** The spec had secret values, but there was no box to seal them with (kept in memory only). */
  unsealedSecrets?: boolean;
  /** Wharf stopped it: an exited container is `stopped`, whatever its exit code. */
  stoppedAt?: string | null;
  /** Restarts Wharf made for failed liveness probes (the engine's RestartCount excludes them). */
  livenessRestarts?: number;
  /** The engine's RestartCount restarts from 0 on every start Wharf makes: the sum before it. */
  restartBase?: number;
  unhealthySince?: string | null;
  /** The liveness monitor ended the replica after its restart policy ran out. */
  gaveUp?: { reason: string; at: string } | null;
  /** Wharf ended the run that finished at `finishedAt` (a liveness restart): why. */
  forcedEnd?: { reason: string; finishedAt: string } | null;
  /** The State.StartedAt of the run that has answered a liveness probe (so adoption sees `running`). */
  healthyRun?: string | null;
  /** How many restarts have sys lines in the log already. */
  loggedRestarts?: number;
  /** The State.FinishedAt of the last end reported in the log (no second line after adoption). */
  loggedEnd?: string | null;
}

export class Bookkeeping {
  constructor(
    private readonly stateDir: string,
    private readonly box: SecretBox | undefined,
  ) {}

  private dir(replicaId: string): string {
    return path.join(this.stateDir, 'replicas', replicaId);
  }

  ids(): string[] {
    try {
      return fs.readdirSync(path.join(this.stateDir, 'replicas'));
    } catch {
      return [];
    }
  }

  read(replicaId: string): ReplicaRecord | null {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.dir(replicaId), 'record.json'), 'utf8')) as ReplicaRecord;
    } catch {
      return null;
    }
  }

  write(replicaId: string, record: ReplicaRecord): void {
    const dir = this.dir(replicaId);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, 'record.json');
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(record), { mode: 0o600 });
    fs.renameSync(tmp, file);
  }

  update(replicaId: string, patch: Partial<ReplicaRecord>): ReplicaRecord | null {
    const current = this.read(replicaId);
    if (!current) return null;
    const next = { ...current, ...patch };
    this.write(replicaId, next);
    return next;
  }

  remove(replicaId: string): void {
    fs.rmSync(this.dir(replicaId), { recursive: true, force: true });
  }

  seal(secrets: SecretValue[]): Pick<ReplicaRecord, 'sealedSecrets' | 'unsealedSecrets'> {
    if (secrets.length === 0) return {};
    if (!this.box) return { unsealedSecrets: true };
    return { sealedSecrets: this.box.encrypt(JSON.stringify(secrets)) };
  }

  /** The secret values to redact with; null when they exist but cannot be read (no key). */
  secrets(record: ReplicaRecord): SecretValue[] | null {
    if (record.sealedSecrets) {
      if (!this.box) return null;
      return JSON.parse(this.box.decrypt(record.sealedSecrets)) as SecretValue[];
    }
    return record.unsealedSecrets ? null : [];
  }

  /** The log cursor: the engine's own timestamp (RFC 3339, ns) of the last line written. */
  readCursor(replicaId: string): string | null {
    try {
      return fs.readFileSync(path.join(this.dir(replicaId), 'log-cursor'), 'utf8').trim() || null;
    } catch {
      return null;
    }
  }

  writeCursor(replicaId: string, cursor: string): void {
    const dir = this.dir(replicaId);
    if (!fs.existsSync(dir)) return; // removed meanwhile: do not resurrect the folder
    fs.writeFileSync(path.join(dir, 'log-cursor'), cursor, { mode: 0o600 });
  }
}
