import type {
  Deployment, DeploymentEvent, DeploymentStatus, DeploymentTrigger,
} from '../../core/model.js';
import { IN_PROGRESS_STATUSES } from '../../core/model.js';
import { serviceSettingsSchema, type ServiceSettings } from '../../core/settings.js';
import type { Db } from './database.js';
import { newId, now } from './ids.js';
import type { SecretBox } from '../../shared/secrets/secret-box.js';

interface DeploymentRow {
  id: string; instance_id: string; number: number; status: string; reason: string | null;
  trigger: string; source_digest: string; artifact_id: string | null; config: string;
  variables: string; warnings: string; rollback_of: string | null; created_at: string; updated_at: string;
}
interface EventRow { id: number; deployment_id: string; status: string; message: string; at: string }

interface Snapshot {
  values: Record<string, string>;
  secretKeys: string[];
}

function readSnapshot(box: SecretBox, stored: string): Snapshot {
  if (!box.isEncrypted(stored)) return { values: JSON.parse(stored) as Record<string, string>, secretKeys: [] };
  return JSON.parse(box.decrypt(stored)) as Snapshot;
}

const toDeployment = (r: DeploymentRow, snapshot: Snapshot): Deployment => ({
  id: r.id,
  instanceId: r.instance_id,
  number: r.number,
  status: r.status as DeploymentStatus,
  reason: r.reason,
  trigger: r.trigger as DeploymentTrigger,
  sourceDigest: r.source_digest,
  artifactId: r.artifact_id,
  config: serviceSettingsSchema.parse(JSON.parse(r.config)),
  variables: snapshot.values,
  secretKeys: snapshot.secretKeys,
  warnings: JSON.parse(r.warnings) as string[],
  rollbackOf: r.rollback_of,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
const toEvent = (r: EventRow): DeploymentEvent => ({
  id: r.id, deploymentId: r.deployment_id, status: r.status as DeploymentStatus, message: r.message, at: r.at,
});

export interface NewDeployment {
  instanceId: string;
  number: number;
  trigger: DeploymentTrigger;
  sourceDigest: string;
  artifactId: string | null;
  config: ServiceSettings;
  variables: Record<string, string>;
  secretKeys: string[];
  warnings: string[];
  rollbackOf: string | null;
}

/**
 * Deployments are immutable once made (source, artifact, config, variables); only their
 * status moves, and every move is recorded as an event with its reason.
 */
export class DeploymentRepository {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  private toDeployment(row: DeploymentRow): Deployment {
    return toDeployment(row, readSnapshot(this.box, row.variables));
  }

  create(input: NewDeployment): Deployment {
    const id = newId('dep');
    const at = now();
    this.db.transaction(() => {
      this.db.prepare(`INSERT INTO deployments (id, instance_id, number, status, trigger, source_digest, artifact_id,
          config, variables, warnings, rollback_of, created_at, updated_at)
        VALUES (?, ?, ?, 'QUEUED', ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(id, input.instanceId, input.number, input.trigger, input.sourceDigest, input.artifactId,
          JSON.stringify(input.config), this.box.encrypt(JSON.stringify({ values: input.variables, secretKeys: input.secretKeys })), JSON.stringify(input.warnings),
          input.rollbackOf, at, at);
      this.addEvent(id, 'QUEUED', `deployment #${input.number} queued (${input.trigger})`);
    }).immediate();
    return this.get(id);
  }

  get(id: string): Deployment {
    const row = this.db.prepare('SELECT * FROM deployments WHERE id = ?').get(id) as DeploymentRow | undefined;
    if (!row) throw new Error(`deployment ${id} does not exist`);
    return this.toDeployment(row);
  }

  find(id: string): Deployment | null {
    const row = this.db.prepare('SELECT * FROM deployments WHERE id = ?').get(id) as DeploymentRow | undefined;
    return row ? this.toDeployment(row) : null;
  }

  findByNumber(instanceId: string, number: number): Deployment | null {
    const row = this.db.prepare('SELECT * FROM deployments WHERE instance_id = ? AND number = ?').get(instanceId, number) as DeploymentRow | undefined;
    return row ? this.toDeployment(row) : null;
  }

  listForInstance(instanceId: string, limit = 50): Deployment[] {
    return (this.db.prepare('SELECT * FROM deployments WHERE instance_id = ? ORDER BY number DESC LIMIT ?').all(instanceId, limit) as DeploymentRow[]).map((r) => this.toDeployment(r));
  }

  listInProgress(): Deployment[] {
    const marks = IN_PROGRESS_STATUSES.map(() => '?').join(', ');
    return (this.db.prepare(`SELECT * FROM deployments WHERE status IN (${marks}) ORDER BY created_at`).all(...IN_PROGRESS_STATUSES) as DeploymentRow[]).map((r) => this.toDeployment(r));
  }

  setStatus(id: string, status: DeploymentStatus, message: string, reason?: string | null): void {
    this.db.transaction(() => {
      if (reason === undefined) {
        this.db.prepare('UPDATE deployments SET status = ?, updated_at = ? WHERE id = ?').run(status, now(), id);
      } else {
        this.db.prepare('UPDATE deployments SET status = ?, reason = ?, updated_at = ? WHERE id = ?').run(status, reason, now(), id);
      }
      this.addEvent(id, status, message);
    }).immediate();
  }

  setArtifact(id: string, artifactId: string): void {
    this.db.prepare('UPDATE deployments SET artifact_id = ?, updated_at = ? WHERE id = ? AND artifact_id IS NULL').run(artifactId, now(), id);
  }

  /** A progress note without a status change (health-check waits, drains …). */
  note(id: string, message: string): void {
    const status = (this.db.prepare('SELECT status FROM deployments WHERE id = ?').get(id) as { status: string }).status;
    this.addEvent(id, status as DeploymentStatus, message);
  }

  /** Key rotation: every variables snapshot re-encrypted with the current key. */
  reencryptAll(reencrypt: (token: string) => string): number {
    const rows = this.db.prepare('SELECT id, variables FROM deployments').all() as Array<{ id: string; variables: string }>;
    const stmt = this.db.prepare('UPDATE deployments SET variables = ? WHERE id = ?');
    this.db.transaction(() => {
      for (const row of rows) stmt.run(this.box.isEncrypted(row.variables) ? reencrypt(row.variables) : this.box.encrypt(JSON.stringify(readSnapshot(this.box, row.variables))), row.id);
    }).immediate();
    return rows.length;
  }

  /** Whether it was ever live: only those are rollback targets. */
  reachedActive(id: string): boolean {
    return this.db.prepare("SELECT 1 FROM deployment_events WHERE deployment_id = ? AND status = 'ACTIVE' LIMIT 1").get(id) !== undefined;
  }

  events(deploymentId: string, afterId = 0): DeploymentEvent[] {
    return (this.db.prepare('SELECT * FROM deployment_events WHERE deployment_id = ? AND id > ? ORDER BY id').all(deploymentId, afterId) as EventRow[]).map(toEvent);
  }

  private addEvent(deploymentId: string, status: DeploymentStatus, message: string): void {
    this.db.prepare('INSERT INTO deployment_events (deployment_id, status, message, at) VALUES (?, ?, ?, ?)').run(deploymentId, status, message, now());
  }
}
