import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { WharfError } from '../../core/errors.js';

// The key file: `{ "current": "<id>", "keys": { "<id>": "<base64 of 32 bytes>" } }`, mode 0600
// in a 0700 folder. Only this module reads or writes it.

export interface KeyFileContent {
  current: string;
  keys: Record<string, string>;
}

export const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** A fresh random key, base64. */
export function newKeyBase64(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** The id of a key: a short hash of it, so the same key has the same id wherever it is set. */
export function keyIdFor(key: Buffer): string {
  return createHash('sha256').update('wharf-key-id\0').update(key).digest('hex').slice(0, 16);
}

/** Decodes a base64 key of exactly 32 bytes; `where` names it in the error. */
export function decodeKey(text: string, where: string): Buffer {
  const trimmed = text.trim();
  const key = BASE64.test(trimmed) ? Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64') : null;
  if (!key || key.length !== KEY_BYTES) {
    throw new WharfError('RUNTIME_ERROR', `${where} is not a base64-encoded ${KEY_BYTES}-byte key`, {
      hint: 'Generate one with `openssl rand -base64 32` (or `node -e "console.log(crypto.randomBytes(32).toString(\'base64\'))"`).',
    });
  }
  return key;
}

/** Reads the key file, or creates it with one fresh key when it does not exist. */
export function readOrCreateKeyFile(file: string): KeyFileContent {
  try {
    return readKeyFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = newKeyBase64();
  const content: KeyFileContent = { current: keyIdFor(Buffer.from(key, 'base64')), keys: {} };
  content.keys[content.current] = key;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeExclusive(file, content);
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(file);
    throw err;
  }
  return content;
}

/** Reads and checks the key file; ENOENT passes through unchanged. */
export function readKeyFile(file: string): KeyFileContent {
  const stat = statSync(file);
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(3, '0');
    throw new WharfError('RUNTIME_ERROR', `The secret key file ${file} is readable by other users (mode ${mode})`, {
      hint: `Only Wharf's user may read it: \`chmod 600 ${file}\`, and rotate the key in case it was copied.`,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw malformed(file, 'it is not JSON', cause);
  }
  return checkContent(file, parsed);
}

/** Replaces the key file atomically (write a 0600 temporary file, then rename). */
export function writeKeyFile(file: string, content: KeyFileContent): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeExclusive(tmp, content);
  renameSync(tmp, file);
}

function writeExclusive(file: string, content: KeyFileContent): void {
  const fd = openSync(file, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(content, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function checkContent(file: string, parsed: unknown): KeyFileContent {
  if (typeof parsed !== 'object' || parsed === null) throw malformed(file, 'it is not a JSON object');
  const { current, keys } = parsed as { current?: unknown; keys?: unknown };
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) throw malformed(file, '"keys" is not an object');
  if (typeof current !== 'string') throw malformed(file, '"current" is not a string');
  const checked: Record<string, string> = {};
  for (const [id, value] of Object.entries(keys)) {
    if (!KEY_ID.test(id)) throw malformed(file, `key id '${id}' may only hold letters, digits, '_' and '-'`);
    if (typeof value !== 'string') throw malformed(file, `key '${id}' is not a string`);
    decodeKey(value, `Key '${id}' in ${file}`);
    checked[id] = value;
  }
  if (!(current in checked)) throw malformed(file, `"current" names key '${current}', which is not in "keys"`);
  return { current, keys: checked };
}

function malformed(file: string, why: string, cause?: unknown): WharfError {
  return new WharfError('RUNTIME_ERROR', `The secret key file ${file} is malformed: ${why}`, {
    hint: `Restore it from a backup. Expected {"current": "<id>", "keys": {"<id>": "<base64 of 32 bytes>"}}. Without its keys, encrypted variables cannot be read.`,
    cause,
  });
}
