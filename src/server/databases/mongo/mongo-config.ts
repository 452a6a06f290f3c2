import path from 'node:path';

// mongod.conf for one database: loopback only, no unix socket, authorization on (the root user
// is made by bootstrap through the localhost exception), no diagnostic data, foreground, logs on
// stdout. YAML is a superset of JSON, so strings are written as JSON strings.

export const mongoConfigFile = (dataDir: string) => path.join(dataDir, 'mongod.conf');
export const mongoDbPath = (dataDir: string) => path.join(dataDir, 'data');

const str = (value: string) => JSON.stringify(value);

export function mongodConfig(dataDir: string, port: number): string {
  return [
    '# Written by Wharf; rewritten by every prepare.',
    'storage:',
    `  dbPath: ${str(mongoDbPath(dataDir))}`,
    'net:',
    '  bindIp: 127.0.0.1',
    `  port: ${port}`,
    '  unixDomainSocket:',
    '    enabled: false',
    'security:',
    '  authorization: enabled',
    'processManagement:',
    '  fork: false',
    'setParameter:',
    '  diagnosticDataCollectionEnabled: false',
    '',
  ].join('\n');
}

/** The YAML --config file of mongodump/mongorestore (database tools 100.3.0+): the URI with the password. */
export function toolsConfig(uri: string): string {
  return `uri: ${str(uri)}\n`;
}
