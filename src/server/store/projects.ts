import type { RuntimeName } from '../../core/artifact.js';
import type { Environment, Project, Service, ServiceInstance, ServiceKind } from '../../core/model.js';
import { DEFAULT_SETTINGS, serviceSettingsSchema, type ServiceSettings } from '../../core/settings.js';
import type { Db } from './database.js';
import { newId, now } from './ids.js';


interface ProjectRow { id: string; name: string; runtime: string | null; created_at: string }
interface EnvironmentRow { id: string; project_id: string; name: string; production: number; created_at: string }
interface ServiceRow { id: string; project_id: string; name: string; kind: string; created_at: string }
interface InstanceRow {
  id: string; service_id: string; environment_id: string; settings: string;
  active_deployment_id: string | null; private_port: number | null; created_at: string;
}

const toProject = (r: ProjectRow): Project => ({
  id: r.id, name: r.name, createdAt: r.created_at, ...(r.runtime ? { runtime: r.runtime as RuntimeName } : {}),
});
const toEnvironment = (r: EnvironmentRow): Environment => ({
  id: r.id, projectId: r.project_id, name: r.name, production: r.production === 1, createdAt: r.created_at,
});
const toService = (r: ServiceRow): Service => ({
  id: r.id, projectId: r.project_id, name: r.name, kind: r.kind as ServiceKind, createdAt: r.created_at,
});
const toInstance = (r: InstanceRow): ServiceInstance => ({
  id: r.id,
  serviceId: r.service_id,
  environmentId: r.environment_id,
  // Parsing fills in defaults added by later versions for settings stored by earlier ones.
  settings: serviceSettingsSchema.parse(JSON.parse(r.settings)),
  activeDeploymentId: r.active_deployment_id,
  privatePort: r.private_port,
  createdAt: r.created_at,
});

export interface InstanceContext {
  project: Project;
  environment: Environment;
  service: Service;
  instance: ServiceInstance;
}

/** Projects, environments, services and their per-environment instances. */
export class ProjectRepository {
  constructor(private readonly db: Db) {}

  createProject(name: string): { project: Project; environment: Environment } {
    return this.db.transaction(() => {
      const project: Project = { id: newId('prj'), name, createdAt: now() };
      this.db.prepare('INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)').run(project.id, name, project.createdAt);
      const environment = this.createEnvironment(project.id, 'production');
      return { project, environment };
    }).immediate();
  }

  listProjects(): Project[] {
    return (this.db.prepare('SELECT * FROM projects ORDER BY name').all() as ProjectRow[]).map(toProject);
  }

  findProject(nameOrId: string): Project | null {
    const row = this.db.prepare('SELECT * FROM projects WHERE name = ? OR id = ?').get(nameOrId, nameOrId) as ProjectRow | undefined;
    return row ? toProject(row) : null;
  }

  getProject(id: string): Project {
    return toProject(this.db.prepare('SELECT * FROM projects WHERE id = ?').get(id) as ProjectRow);
  }

  /** The runtime the project builds for (project file `runtime`); null follows WHARF_RUNTIME. */
  setProjectRuntime(id: string, runtime: RuntimeName | null): void {
    this.db.prepare('UPDATE projects SET runtime = ? WHERE id = ?').run(runtime, id);
  }

  /**
   * A new environment with an instance of every service: default settings, or the settings of
   * `copySettingsFrom` (duplication; variables are copied by the caller, which knows the rules).
   */
  createEnvironment(projectId: string, name: string, copySettingsFrom?: string): Environment {
    return this.db.transaction(() => {
      const env: Environment = { id: newId('env'), projectId, name, production: name === 'production', createdAt: now() };
      this.db.prepare('INSERT INTO environments (id, project_id, name, production, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(env.id, projectId, name, env.production ? 1 : 0, env.createdAt);
      for (const service of this.listServices(projectId)) {
        const source = copySettingsFrom ? this.findInstance(service.id, copySettingsFrom) : null;
        this.createInstance(service.id, env.id, source?.settings ?? DEFAULT_SETTINGS);
      }
      return env;
    }).immediate();
  }

  renameEnvironment(environmentId: string, name: string): void {
    this.db.prepare('UPDATE environments SET name = ? WHERE id = ?').run(name, environmentId);
  }

  /** Removes the environment and, by cascade, its instances, deployments, replicas and variables. */
  deleteEnvironment(environmentId: string): void {
    this.db.prepare('DELETE FROM environments WHERE id = ?').run(environmentId);
  }

  listEnvironments(projectId: string): Environment[] {
    return (this.db.prepare('SELECT * FROM environments WHERE project_id = ? ORDER BY created_at').all(projectId) as EnvironmentRow[]).map(toEnvironment);
  }

  findEnvironment(projectId: string, name: string): Environment | null {
    const row = this.db.prepare('SELECT * FROM environments WHERE project_id = ? AND (name = ? OR id = ?)').get(projectId, name, name) as EnvironmentRow | undefined;
    return row ? toEnvironment(row) : null;
  }

  getEnvironment(id: string): Environment {
    return toEnvironment(this.db.prepare('SELECT * FROM environments WHERE id = ?').get(id) as EnvironmentRow);
  }

  createService(projectId: string, name: string, kind: ServiceKind): Service {
    return this.db.transaction(() => {
      const service: Service = { id: newId('svc'), projectId, name, kind, createdAt: now() };
      this.db.prepare('INSERT INTO services (id, project_id, name, kind, created_at) VALUES (?, ?, ?, ?, ?)').run(service.id, projectId, name, kind, service.createdAt);
      for (const env of this.listEnvironments(projectId)) this.createInstance(service.id, env.id, DEFAULT_SETTINGS);
      return service;
    }).immediate();
  }

  listServices(projectId: string): Service[] {
    return (this.db.prepare('SELECT * FROM services WHERE project_id = ? ORDER BY name').all(projectId) as ServiceRow[]).map(toService);
  }

  findService(projectId: string, name: string): Service | null {
    const row = this.db.prepare('SELECT * FROM services WHERE project_id = ? AND (name = ? OR id = ?)').get(projectId, name, name) as ServiceRow | undefined;
    return row ? toService(row) : null;
  }

  setServiceKind(serviceId: string, kind: ServiceKind): void {
    this.db.prepare('UPDATE services SET kind = ? WHERE id = ?').run(kind, serviceId);
  }

  getService(id: string): Service {
    return toService(this.db.prepare('SELECT * FROM services WHERE id = ?').get(id) as ServiceRow);
  }

  private createInstance(serviceId: string, environmentId: string, settings: ServiceSettings): ServiceInstance {
    const instance: ServiceInstance = {
      id: newId('si'), serviceId, environmentId, settings, activeDeploymentId: null, privatePort: null, createdAt: now(),
    };
    this.db.prepare('INSERT INTO service_instances (id, service_id, environment_id, settings, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(instance.id, serviceId, environmentId, JSON.stringify(settings), instance.createdAt);
    return instance;
  }

  findInstance(serviceId: string, environmentId: string): ServiceInstance | null {
    const row = this.db.prepare('SELECT * FROM service_instances WHERE service_id = ? AND environment_id = ?').get(serviceId, environmentId) as InstanceRow | undefined;
    return row ? toInstance(row) : null;
  }

  getInstance(id: string): ServiceInstance {
    return toInstance(this.db.prepare('SELECT * FROM service_instances WHERE id = ?').get(id) as InstanceRow);
  }

  listInstances(): ServiceInstance[] {
    return (this.db.prepare('SELECT * FROM service_instances').all() as InstanceRow[]).map(toInstance);
  }

  /** The names around an instance: what hosts, variables and messages are made of. */
  describeInstance(instanceId: string): InstanceContext {
    const instance = this.getInstance(instanceId);
    const service = this.getService(instance.serviceId);
    return {
      instance,
      service,
      environment: this.getEnvironment(instance.environmentId),
      project: this.getProject(service.projectId),
    };
  }

  updateSettings(instanceId: string, settings: ServiceSettings): void {
    this.db.prepare('UPDATE service_instances SET settings = ? WHERE id = ?').run(JSON.stringify(settings), instanceId);
  }

  setPrivatePort(instanceId: string, port: number): void {
    this.db.prepare('UPDATE service_instances SET private_port = ? WHERE id = ?').run(port, instanceId);
  }

  usedPrivatePorts(): Set<number> {
    const rows = this.db.prepare('SELECT private_port AS port FROM service_instances WHERE private_port IS NOT NULL').all() as Array<{ port: number }>;
    return new Set(rows.map((r) => r.port));
  }

  setActiveDeployment(instanceId: string, deploymentId: string | null): void {
    this.db.prepare('UPDATE service_instances SET active_deployment_id = ? WHERE id = ?').run(deploymentId, instanceId);
  }

  /** Hands out deployment numbers 1, 2, 3 … per instance, atomically. */
  takeDeploymentNumber(instanceId: string): number {
    const row = this.db.prepare('UPDATE service_instances SET next_deployment_number = next_deployment_number + 1 WHERE id = ? RETURNING next_deployment_number - 1 AS n').get(instanceId) as { n: number };
    return row.n;
  }
}
