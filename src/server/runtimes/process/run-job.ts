import { WharfError } from '../../../core/errors.js';
import { runCommand } from '../../exec/run-command.js';
import type { JobResult, JobSpec } from '../../../core/runtime.js';
import { LogWriter } from '../../observe/log-writer.js';

// A one-off command run to completion (pre-deploy commands, cron runs), logged in the
// same JSON-lines format as replicas.
export async function runJob(job: JobSpec): Promise<JobResult> {
  const log = new LogWriter(job.logFile);
  const startedAt = new Date().toISOString();
  log.write('sys', `running job ${job.jobId}`);
  try {
    const result = await runCommand(job.command, {
      cwd: job.cwd,
      env: job.env,
      timeoutMs: job.timeoutMs,
      killGraceMs: 2000,
      onLine: (line, stream) => log.write(stream, line),
    });
    const how = result.timedOut
      ? `timed out after ${job.timeoutMs} ms`
      : result.signal
        ? `killed by ${result.signal}`
        : `exited with code ${result.exitCode}`;
    log.write('sys', `job ${how}`);
    return {
      jobId: job.jobId,
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      startedAt,
      endedAt: new Date().toISOString(),
    };
  } catch (err) {
    const message = `job ${job.jobId} could not start: ${(err as Error).message}`;
    log.write('sys', message);
    throw new WharfError('RUNTIME_ERROR', message, {
      hint: `Check that '${job.command[0]}' exists in the release and that ${job.cwd} is a directory.`,
      cause: err,
    });
  } finally {
    await log.close();
  }
}
