import path from 'node:path';

// Which log a file under logs/ is, from its path alone:
//   <instance>/<deployment>/<replica>.log          runtime output of a replica
//   <instance>/<deployment>/build.log              the build (and deploy) log
//   <instance>/<deployment>/{pre-deploy,checks}.log
//   <instance>/cron/<run>.log, <instance>/runs/<job>.log, <instance>/database/<id>.log
// Anything else (the router's logs, backup verification) is not an app's and is not indexed.

export type LogSource = 'runtime' | 'build' | 'pre-deploy' | 'checks' | 'cron' | 'run' | 'database';

export interface LogFileInfo {
  instance: string;
  deployment: string | null;
  replica: string | null;
  source: LogSource;
}

/** Sources shown as a service's runtime logs, and as its build logs. */
export const RUNTIME_SOURCES: readonly LogSource[] = ['runtime', 'cron', 'run', 'database'];
export const BUILD_SOURCES: readonly LogSource[] = ['build', 'pre-deploy', 'checks'];

const ID = /^[a-z]+_[0-9a-f]{6,}$/;

export function classifyLogFile(logsDir: string, file: string): LogFileInfo | null {
  const parts = path.relative(logsDir, file).split(path.sep);
  if (parts.length !== 3 || !parts[2]!.endsWith('.log')) return null;
  const [instance, middle, name] = [parts[0]!, parts[1]!, parts[2]!.slice(0, -'.log'.length)];
  if (!ID.test(instance) || name === '') return null;
  if (middle === 'cron') return { instance, deployment: null, replica: name, source: 'cron' };
  if (middle === 'runs') return { instance, deployment: null, replica: name, source: 'run' };
  if (middle === 'database') return { instance, deployment: 'database', replica: name, source: 'database' };
  if (!ID.test(middle)) return null;
  if (name === 'build' || name === 'pre-deploy' || name === 'checks') return { instance, deployment: middle, replica: null, source: name };
  return { instance, deployment: middle, replica: name, source: 'runtime' };
}
