import type { DatabaseAccess } from '../deploy/context.js';
import type { BackupService } from './backups.js';
import type { DatabaseManager } from './manager.js';

/** The deploy pipeline's view of managed databases. */
export function databaseAccess(manager: DatabaseManager, backups: BackupService): DatabaseAccess {
  return {
    variablesOf: (instanceId) => manager.variablesOf(instanceId),
    migrationVariables: (instanceId) => manager.migrationVariables(instanceId),
    credentialSecrets: (instanceId) =>
      manager.referencedBy(instanceId).flatMap(({ spec }) =>
        Object.entries(spec.credentials)
          .filter(([key]) => /password|secret/i.test(key))
          .map(([key, value]) => ({ key: `${spec.name}.${key}`, value })),
      ),
    // Seed 002: "never roll back migrations without a backup".
    async backupBeforeMigrations(instanceId, log) {
      for (const { record, spec } of manager.referencedBy(instanceId)) {
        log(`backing up ${spec.name} before the pre-deploy command`);
        const backup = await backups.backup(record, 'pre-deploy');
        log(`backup ${backup.id} of ${spec.name}: ${backup.bytes} bytes in ${backup.durationMs} ms`);
      }
    },
  };
}
