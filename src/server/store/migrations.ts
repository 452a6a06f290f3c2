// Migrations are versioned in code and applied in order inside one transaction each;
// `PRAGMA user_version` records how far a database has come. Never edit a shipped one.

export const MIGRATIONS: readonly string[] = [
  /* 1: the foundation */ `
  CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
  );
  CREATE TABLE environments (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (project_id, name)
  );
  CREATE TABLE services (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (project_id, name)
  );
  CREATE TABLE service_instances (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    environment_id TEXT NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
    settings TEXT NOT NULL,
    active_deployment_id TEXT,
    next_deployment_number INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    UNIQUE (service_id, environment_id)
  );
  CREATE TABLE artifacts (
    id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES service_instances(id) ON DELETE CASCADE,
    release_dir TEXT NOT NULL,
    builder TEXT NOT NULL,
    start TEXT NOT NULL,
    created_at TEXT NOT NULL,
    removed_at TEXT
  );
  CREATE TABLE deployments (
    id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES service_instances(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    trigger TEXT NOT NULL,
    source_digest TEXT NOT NULL,
    artifact_id TEXT REFERENCES artifacts(id),
    config TEXT NOT NULL,
    variables TEXT NOT NULL,
    warnings TEXT NOT NULL DEFAULT '[]',
    rollback_of TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (instance_id, number)
  );
  CREATE INDEX deployments_by_status ON deployments(status);
  CREATE TABLE deployment_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    at TEXT NOT NULL
  );
  CREATE INDEX deployment_events_by_deployment ON deployment_events(deployment_id, id);
  CREATE TABLE replicas (
    id TEXT PRIMARY KEY,
    deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
    instance_id TEXT NOT NULL REFERENCES service_instances(id) ON DELETE CASCADE,
    port INTEGER,
    routed INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
  );
  CREATE TABLE variables (
    instance_id TEXT NOT NULL REFERENCES service_instances(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (instance_id, key)
  );
  CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT
  );
  `,
  /* 2: environments know whether they are production; variables are scoped to an environment
        (service_id '' = shared), carry secret/sealed flags and are stored encrypted. Rows copied
        from version 1 are plain text until the control plane encrypts them at start. */ `
  ALTER TABLE environments ADD COLUMN production INTEGER NOT NULL DEFAULT 0;
  UPDATE environments SET production = 1 WHERE name = 'production';
  CREATE TABLE env_variables (
    environment_id TEXT NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
    service_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    secret INTEGER NOT NULL DEFAULT 0,
    sealed INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (environment_id, service_id, key)
  );
  INSERT INTO env_variables (environment_id, service_id, key, value, updated_at)
    SELECT si.environment_id, si.service_id, v.key, v.value, v.updated_at
    FROM variables v JOIN service_instances si ON si.id = v.instance_id;
  DROP TABLE variables;
  `,
  /* 3: a stable private port per service instance, where the router forwards to its replicas
        (private networking: http://${{api.RAILWAY_PRIVATE_DOMAIN}}:${{api.PORT}}). */ `
  ALTER TABLE service_instances ADD COLUMN private_port INTEGER;
  CREATE UNIQUE INDEX service_instances_private_port ON service_instances(private_port) WHERE private_port IS NOT NULL;
  `,
  /* 4: events (what happened, for `wharf events` and alerts), cron runs, and the audit trail of
        one-off commands and other actions taken on a user's behalf. */ `
  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id TEXT,
    environment_id TEXT,
    service_id TEXT,
    deployment_id TEXT,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    message TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    at TEXT NOT NULL
  );
  CREATE INDEX events_by_project ON events(project_id, id);
  CREATE TABLE cron_runs (
    id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES service_instances(id) ON DELETE CASCADE,
    deployment_id TEXT,
    scheduled_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    exit_code INTEGER,
    detail TEXT,
    log_file TEXT
  );
  CREATE INDEX cron_runs_by_instance ON cron_runs(instance_id, scheduled_at);
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    at TEXT NOT NULL
  );
  `,
  /* 5: managed databases (one server per service instance) and their backups. Backups keep
        the database's engine and name and outlive it: deleting a database keeps its final backup. */ `
  CREATE TABLE databases (
    id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL UNIQUE REFERENCES service_instances(id) ON DELETE CASCADE,
    engine TEXT NOT NULL,
    port INTEGER NOT NULL UNIQUE,
    data_dir TEXT NOT NULL,
    credentials TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT,
    backup_schedule TEXT,
    backup_keep INTEGER NOT NULL DEFAULT 7,
    backup_max_age_days INTEGER NOT NULL DEFAULT 30,
    verify_schedule TEXT,
    created_at TEXT NOT NULL
  );
  CREATE TABLE backups (
    id TEXT PRIMARY KEY,
    database_id TEXT NOT NULL,
    engine TEXT NOT NULL,
    database_name TEXT NOT NULL,
    project_id TEXT NOT NULL,
    environment_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    path TEXT,
    bytes INTEGER,
    duration_ms INTEGER,
    sha256 TEXT,
    format TEXT,
    error TEXT,
    verified_at TEXT,
    verify_status TEXT,
    verify_result TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
  );
  CREATE INDEX backups_by_database ON backups(database_id, created_at);
  `,
  /* 6: alerts: rules (an event pattern or a metric threshold, and one channel whose config is
        encrypted at rest), the state of each metric rule per service instance (so a restart
        neither re-fires nor forgets), and the delivery log (one row per attempt). */ `
  CREATE TABLE alert_rules (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    environment_id TEXT REFERENCES environments(id) ON DELETE CASCADE,
    service_id TEXT REFERENCES services(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    condition TEXT NOT NULL,
    channel_type TEXT NOT NULL,
    channel TEXT NOT NULL,
    channel_summary TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
  );
  CREATE INDEX alert_rules_by_project ON alert_rules(project_id, created_at);
  CREATE TABLE alert_states (
    rule_id TEXT NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
    instance_id TEXT NOT NULL REFERENCES service_instances(id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    breach_since TEXT,
    firing_since TEXT,
    last_value REAL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (rule_id, instance_id)
  );
  CREATE TABLE alert_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    rule_id TEXT NOT NULL,
    notification_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    channel_type TEXT NOT NULL,
    target TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    status TEXT NOT NULL,
    status_code INTEGER,
    duration_ms INTEGER NOT NULL,
    error TEXT,
    at TEXT NOT NULL
  );
  CREATE INDEX alert_deliveries_by_project ON alert_deliveries(project_id, id);
  CREATE INDEX alert_deliveries_by_rule ON alert_deliveries(rule_id, id);
  `,
  /* 7: off-site copies of backups: an S3-compatible bucket per project (or per database name,
        which outlives a database); its keys are encrypted at rest. Each backup records the
        state of its copy (pending / uploaded / failed), where it is, and when to try again. */ `
  CREATE TABLE backup_remotes (
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    database_name TEXT NOT NULL DEFAULT '',
    endpoint TEXT NOT NULL,
    region TEXT NOT NULL,
    bucket TEXT NOT NULL,
    prefix TEXT NOT NULL DEFAULT '',
    path_style INTEGER NOT NULL DEFAULT 1,
    keys TEXT NOT NULL,
    access_key_hint TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (project_id, database_name)
  );
  ALTER TABLE backups ADD COLUMN remote_status TEXT;
  ALTER TABLE backups ADD COLUMN remote_endpoint TEXT;
  ALTER TABLE backups ADD COLUMN remote_bucket TEXT;
  ALTER TABLE backups ADD COLUMN remote_key TEXT;
  ALTER TABLE backups ADD COLUMN remote_error TEXT;
  ALTER TABLE backups ADD COLUMN remote_attempts INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE backups ADD COLUMN remote_next_at TEXT;
  ALTER TABLE backups ADD COLUMN remote_uploaded_at TEXT;
  CREATE INDEX backups_remote_due ON backups(remote_status, remote_next_at);
  `,
  /* 8: log drains: where a project's log lines are forwarded (the target, with its headers or
        token, encrypted at rest), the id of the last log line each has delivered (so a restart
        goes on from there), and its delivery state. */ `
  CREATE TABLE log_drains (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    environment_id TEXT REFERENCES environments(id) ON DELETE CASCADE,
    service_id TEXT REFERENCES services(id) ON DELETE CASCADE,
    transport TEXT NOT NULL,
    url TEXT NOT NULL,
    header_names TEXT NOT NULL DEFAULT '[]',
    target TEXT NOT NULL,
    created_at TEXT NOT NULL,
    cursor INTEGER NOT NULL DEFAULT 0,
    lines_sent INTEGER NOT NULL DEFAULT 0,
    lines_dropped INTEGER NOT NULL DEFAULT 0,
    dropped_unreported INTEGER NOT NULL DEFAULT 0,
    last_success_at TEXT,
    last_error TEXT,
    last_error_at TEXT,
    failing_since TEXT,
    failures INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX log_drains_by_project ON log_drains(project_id, created_at);
  `,
  /* 9: the state of alert rules that watch something other than a service instance (a
        certificate on an endpoint), one row per rule and target, so a restart neither re-fires
        nor forgets, and knows when the target was last checked. */ `
  CREATE TABLE alert_target_states (
    rule_id TEXT NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    state TEXT NOT NULL,
    firing_since TEXT,
    last_value REAL,
    detail TEXT,
    checked_at TEXT NOT NULL,
    PRIMARY KEY (rule_id, target)
  );
  `,
  /* 10: the unprivileged user each service instance's processes run as (docs/isolation.md):
         an offset into the configured uid range, never reused (no foreign key: the row outlives a
         deleted instance, so a new one never inherits files left with its uid). */ `
  CREATE TABLE app_users (
    instance_id TEXT PRIMARY KEY,
    slot INTEGER NOT NULL UNIQUE,
    created_at TEXT NOT NULL
  );
  `,
  /* 11: the runtime-neutral seam (docs/architecture.md). An artifact is a release folder or an
         image pinned by digest: `kind` says which; images leave release_dir empty (SQLite cannot
         relax its NOT NULL without rebuilding a table deployments reference). A project may pick
         its runtime (`runtime` in the project file); NULL follows WHARF_RUNTIME. */ `
  ALTER TABLE artifacts ADD COLUMN kind TEXT NOT NULL DEFAULT 'release';
  ALTER TABLE artifacts ADD COLUMN image TEXT;
  ALTER TABLE artifacts ADD COLUMN digest TEXT;
  ALTER TABLE projects ADD COLUMN runtime TEXT;
  `,
  /* 12: volumes (docs/volumes.md): one row per volume a service instance has had, recorded the
         first time the instance is placed with it. Deploys and rollbacks never touch a row; it
         goes (and the runtime's folder or Docker volume with it, VolumeService.removeForInstance) only with
         the instance, so data outlives every deploy. `name` is Wharf's name, <instanceId>-<volume>. */ `
  CREATE TABLE volumes (
    name TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES service_instances(id) ON DELETE CASCADE,
    volume TEXT NOT NULL,
    mount_path TEXT NOT NULL,
    size_gb REAL,
    created_at TEXT NOT NULL,
    UNIQUE (instance_id, volume)
  );
  `,
];
