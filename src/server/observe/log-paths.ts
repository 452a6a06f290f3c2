import path from 'node:path';

// Where each log lives: logs/<instance>/<deployment>/{build,<replica>}.log.

export function deploymentLogDir(logsDir: string, instanceId: string, deploymentId: string): string {
  return path.join(logsDir, instanceId, deploymentId);
}

export function buildLogFile(logsDir: string, instanceId: string, deploymentId: string): string {
  return path.join(deploymentLogDir(logsDir, instanceId, deploymentId), 'build.log');
}

export function replicaLogFile(logsDir: string, instanceId: string, deploymentId: string, replicaId: string): string {
  return path.join(deploymentLogDir(logsDir, instanceId, deploymentId), `${replicaId}.log`);
}
