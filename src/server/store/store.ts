import { AlertRepository } from './alerts.js';
import { AppUserRepository } from './app-users.js';
import { ArtifactRepository } from './artifacts.js';
import { AuditRepository } from './audit.js';
import { BackupRemoteRepository } from './backup-remotes.js';
import { CronRunRepository } from './cron-runs.js';
import { DatabaseRepository } from './databases.js';
import { EventRepository } from './events.js';
import { openDatabase, type Db } from './database.js';
import { DeploymentRepository } from './deployments.js';
import { ProjectRepository } from './projects.js';
import { ReplicaRepository } from './replicas.js';
import { TokenRepository } from './tokens.js';
import type { SecretBox } from '../../shared/secrets/secret-box.js';
import { VariableRepository } from './variables.js';

/** The control plane's whole state: one SQLite file, one repository per table family. */
export class Store {
  readonly projects: ProjectRepository;
  readonly deployments: DeploymentRepository;
  readonly replicas: ReplicaRepository;
  readonly artifacts: ArtifactRepository;
  readonly tokens: TokenRepository;
  readonly variables: VariableRepository;
  readonly events: EventRepository;
  readonly cronRuns: CronRunRepository;
  readonly audit: AuditRepository;
  readonly databases: DatabaseRepository;
  readonly alerts: AlertRepository;
  readonly backupRemotes: BackupRemoteRepository;
  readonly appUsers: AppUserRepository;

  constructor(
    readonly db: Db,
    box: SecretBox,
  ) {
    this.projects = new ProjectRepository(db);
    this.deployments = new DeploymentRepository(db, box);
    this.replicas = new ReplicaRepository(db);
    this.artifacts = new ArtifactRepository(db);
    this.tokens = new TokenRepository(db);
    this.variables = new VariableRepository(db, box);
    this.events = new EventRepository(db);
    this.cronRuns = new CronRunRepository(db);
    this.audit = new AuditRepository(db);
    this.databases = new DatabaseRepository(db, box);
    this.alerts = new AlertRepository(db, box);
    this.backupRemotes = new BackupRemoteRepository(db, box);
    this.appUsers = new AppUserRepository(db);
  }

  static open(file: string, box: SecretBox): Store {
    return new Store(openDatabase(file), box);
  }

  close(): void {
    this.db.close();
  }
}
