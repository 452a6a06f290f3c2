import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WharfError } from '../../core/errors.js';
import { runCommand } from '../exec/run-command.js';

// Small helpers the Redis, MySQL and Mongo providers share: finding a tool's binary, running a
// tool to completion with its output captured (through runCommand), feeding a file to a tool's
// stdin (the one thing runCommand cannot do), 0600 files for passwords, and a file's digest.
// Passwords never go into argv: they travel in environment variables or 0600 option files.

const SYSTEM_BIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first of `names` found in binDir, then PATH, then the usual system dirs (mariadbd is in /usr/sbin); null if none. */
export function findBinary(names: readonly string[], binDir?: string): string | null {
  const dirs = [
    ...(binDir ? [binDir] : []),
    ...(process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== ''),
    ...SYSTEM_BIN_DIRS,
  ];
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if (executable(candidate)) return candidate;
    }
  }
  return null;
}

/** Like findBinary, but a missing tool is a WharfError naming the package that provides it. */
export function requireBinary(names: readonly string[], binDir: string | undefined, hint: string): string {
  const found = findBinary(names, binDir);
  if (found) return found;
  const where = binDir ? ` in ${binDir} or on PATH` : ' on PATH';
  throw new WharfError('RUNTIME_ERROR', `${names.join(' or ')} was not found${where}`, { hint });
}

/** The environment a tool runs with: only what it needs from ours, plus `extra`. */
export function toolEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  env.PATH ??= SYSTEM_BIN_DIRS.join(path.delimiter);
  return { ...env, ...extra };
}

export interface ToolRun {
  cwd: string;
  env: Record<string, string>;
  timeoutMs?: number;
  /** Fed to the tool's stdin (a dump to load); otherwise stdin is empty. */
  stdinFile?: string;
}

export interface ToolOutput {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

/** Runs a tool to completion and returns what it printed (text, line by line). */
export async function runTool(argv: readonly string[], options: ToolRun): Promise<ToolOutput> {
  if (options.stdinFile !== undefined) return pipeFileInto(argv, options.stdinFile, options);
  const out: string[] = [];
  const err: string[] = [];
  const result = await runCommand(argv, {
    cwd: options.cwd,
    env: options.env,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    onLine: (line, stream) => (stream === 'out' ? out : err).push(line),
  });
  if (result.timedOut) throw toolError(argv, `timed out after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`, err);
  return { exitCode: result.exitCode, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** runTool that insists on exit 0; the error carries the tail of stderr (never argv, which has no secrets anyway). */
export async function runToolOk(argv: readonly string[], options: ToolRun): Promise<ToolOutput> {
  const output = await runTool(argv, options);
  if (output.exitCode !== 0) {
    throw toolError(argv, `exited with ${output.exitCode}`, (output.stderr || output.stdout).split('\n'));
  }
  return output;
}

function toolError(argv: readonly string[], what: string, stderr: readonly string[]): WharfError {
  const tool = path.basename(argv[0] ?? 'tool');
  const tail = stderr.filter((l) => l.trim() !== '').slice(-5).join('\n');
  return new WharfError('RUNTIME_ERROR', `${tool} ${what}${tail ? `: ${tail}` : ''}`, {
    hint: 'Check that the database server is running (wharf status) and look at its logs.',
  });
}

/**
 * Runs a tool with `file` as its stdin, like `tool < file` without a shell: the file is opened
 * here and handed to the child as fd 0. Output is captured; the child gets its own process
 * group, ended on timeout.
 */
export function pipeFileInto(argv: readonly string[], file: string, options: ToolRun): Promise<ToolOutput> {
  const [bin, ...args] = argv;
  if (!bin) throw new TypeError('pipeFileInto needs at least one argument');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (cause) {
      reject(new WharfError('NOT_FOUND', `The backup file ${file} cannot be read`, { cause }));
      return;
    }
    const child = spawn(bin, args, { cwd: options.cwd, env: options.env, stdio: [fd, 'pipe', 'pipe'], detached: true });
    fs.closeSync(fd);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    child.on('error', (cause) => {
      clearTimeout(timer);
      reject(cause);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) reject(toolError(argv, `timed out after ${timeoutMs} ms`, stderr.split('\n')));
      else resolve({ exitCode, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}

/** Writes `text` to `file` readable by this user only (0600), replacing any older file. */
export function writePrivateFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  fs.chmodSync(file, 0o600);
}

/** Runs `fn` with a fresh 0700 directory under `parent` for password files; removed afterwards. */
export async function withPrivateDir<T>(parent: string, fn: (dir: string) => Promise<T>): Promise<T> {
  fs.mkdirSync(parent, { recursive: true });
  const dir = fs.mkdtempSync(path.join(parent, '.tool-'));
  fs.chmodSync(dir, 0o700);
  try {
    return await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** sha256 (hex) and size of a file, streamed. */
export async function fileDigest(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Runs as root: servers that refuse root (mariadbd) need to be told to stay root. */
export function runningAsRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
