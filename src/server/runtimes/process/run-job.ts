import { WharfError } from '../../../core/errors.js';
import { runCommand } from '../../exec/run-command.js';
import type { JobResult, JobSpec } from '../../../core/runtime.js';
import { LogWriter } from '../../../shared/log-writer.js';
import { Redactor } from '../../../shared/secrets/redact.js';

// A one-off command run to completion (pre-deploy commands, cron runs) in `cwd` (its working
// copy), logged in the same JSON-lines format as replicas.
export async function runJob(job: JobSpec, cwd: string): Promise<JobResult> {
  const redactor = new Redactor(job.secretValues ?? []);
  const log = new LogWriter(job.logFile, (m) => redactor.redact(m));
  const emit = (line: string, stream: 'out' | 'err' | 'sys') => {
    log.write(stream, line);
    job.onLine?.(redactor.redact(line), stream);
  };
  const startedAt = new Date().toISOString();
  emit(`running job ${job.jobId}`, 'sys');
  try {
    const result = await runCommand(job.command, {
      cwd,
      env: job.env,
      user: job.user ?? null,
      timeoutMs: job.timeoutMs,
      killGraceMs: 2000,
      signal: job.signal,
      onLine: emit,
    });
    const how = result.timedOut
      ? `timed out after ${job.timeoutMs} ms`
      : result.aborted
        ? 'cancelled'
        : result.signal
        ? `killed by ${result.signal}`
        : `exited with code ${result.exitCode}`;
    emit(`job ${how}`, 'sys');
    return {
      jobId: job.jobId,
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      cancelled: result.aborted,
      startedAt,
      endedAt: new Date().toISOString(),
    };
  } catch (err) {
    const message = `job ${job.jobId} could not start: ${(err as Error).message}`;
    emit(message, 'sys');
    throw new WharfError('RUNTIME_ERROR', message, {
      hint: `Check that '${job.command[0]}' exists in the release and that ${cwd} is a directory.`,
      cause: err,
    });
  } finally {
    await log.close();
  }
}
