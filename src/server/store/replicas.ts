import type { ReplicaRecord } from '../../core/model.js';
import type { Db } from './database.js';
import { now } from './ids.js';

interface ReplicaRow { id: string; deployment_id: string; instance_id: string; port: number | null; routed: number; created_at: string }
const toReplica = (r: ReplicaRow): ReplicaRecord => ({
  id: r.id, deploymentId: r.deployment_id, instanceId: r.instance_id, port: r.port, routed: r.routed === 1, createdAt: r.created_at,
});

/** The replicas Wharf means to have, and which of them the router may send traffic to. */
export class ReplicaRepository {
  constructor(private readonly db: Db) {}

  add(replica: Omit<ReplicaRecord, 'createdAt' | 'routed'>): ReplicaRecord {
    const record: ReplicaRecord = { ...replica, routed: false, createdAt: now() };
    this.db.prepare('INSERT INTO replicas (id, deployment_id, instance_id, port, routed, created_at) VALUES (?, ?, ?, ?, 0, ?)')
      .run(record.id, record.deploymentId, record.instanceId, record.port, record.createdAt);
    return record;
  }

  all(): ReplicaRecord[] {
    return (this.db.prepare('SELECT * FROM replicas ORDER BY created_at, id').all() as ReplicaRow[]).map(toReplica);
  }

  forInstance(instanceId: string): ReplicaRecord[] {
    return (this.db.prepare('SELECT * FROM replicas WHERE instance_id = ? ORDER BY created_at, id').all(instanceId) as ReplicaRow[]).map(toReplica);
  }

  forDeployment(deploymentId: string): ReplicaRecord[] {
    return (this.db.prepare('SELECT * FROM replicas WHERE deployment_id = ? ORDER BY created_at, id').all(deploymentId) as ReplicaRow[]).map(toReplica);
  }

  /** The atomic part of a swap: these replicas take traffic, those stop taking it. */
  switchRouting(routeIds: readonly string[], unrouteIds: readonly string[]): void {
    this.db.transaction(() => {
      const set = this.db.prepare('UPDATE replicas SET routed = ? WHERE id = ?');
      for (const id of unrouteIds) set.run(0, id);
      for (const id of routeIds) set.run(1, id);
    }).immediate();
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM replicas WHERE id = ?').run(id);
  }
}
