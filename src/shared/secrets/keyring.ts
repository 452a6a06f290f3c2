import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { WharfError } from '../../core/errors.js';
import { decodeKey, keyIdFor, newKeyBase64, readKeyFile, readOrCreateKeyFile, writeKeyFile, type KeyFileContent } from './key-file.js';

// Secret variables at rest: AES-256-GCM with a random 12-byte IV per value. A value is
// stored as `wharf:v1:<keyId>:<iv>:<tag>:<ciphertext>` (base64url parts); the prefix and key
// id are authenticated too, so a token cannot be moved to another key. Keys come from
// WHARF_SECRET_KEY (+ WHARF_SECRET_KEY_PREVIOUS while rotating) or from a 0600 key file.

export interface KeyringOptions {
  /** Key file used when no env key is set; created with a fresh key if absent. */
  keyFile: string;
  /** WHARF_SECRET_KEY: base64 of 32 bytes; when set it is the current key and the file is not used. */
  envKey?: string;
  /** WHARF_SECRET_KEY_PREVIOUS: the key before the last rotation, still used to decrypt. */
  previousEnvKey?: string;
}

const PREFIX = 'wharf:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ENV_ROTATE_HINT =
  'To rotate an env key: set the new key (`openssl rand -base64 32`) in WHARF_SECRET_KEY and the old one in WHARF_SECRET_KEY_PREVIOUS, restart, re-encrypt the stored values, then remove WHARF_SECRET_KEY_PREVIOUS.';

/** The keyring options from the process environment (WHARF_SECRET_KEY, WHARF_SECRET_KEY_PREVIOUS). */
export function keyringOptionsFromEnv(keyFile: string, env: NodeJS.ProcessEnv = process.env): KeyringOptions {
  return { keyFile, envKey: env.WHARF_SECRET_KEY, previousEnvKey: env.WHARF_SECRET_KEY_PREVIOUS };
}

/** Whether a stored value is an encrypted token (rather than a plain value). */
export function isEncrypted(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** The id of the key a token was encrypted with, or null for a value that is not a token. */
export function keyIdOf(token: string): string | null {
  return isEncrypted(token) ? (token.slice(PREFIX.length).split(':', 1)[0] ?? null) : null;
}

type KeySource = { kind: 'env' } | { kind: 'file'; file: string };

export class Keyring {
  private constructor(
    private readonly source: KeySource,
    private current: string,
    private keys: Map<string, Buffer>,
  ) {}

  static load(opts: KeyringOptions): Keyring {
    const envKey = opts.envKey?.trim();
    const previous = opts.previousEnvKey?.trim();
    if (envKey) {
      const key = decodeKey(envKey, 'WHARF_SECRET_KEY');
      const keys = new Map([[keyIdFor(key), key]]);
      if (previous) {
        const old = decodeKey(previous, 'WHARF_SECRET_KEY_PREVIOUS');
        keys.set(keyIdFor(old), old);
      }
      return new Keyring({ kind: 'env' }, keyIdFor(key), keys);
    }
    if (previous) {
      throw new WharfError('RUNTIME_ERROR', 'WHARF_SECRET_KEY_PREVIOUS is set but WHARF_SECRET_KEY is not', { hint: ENV_ROTATE_HINT });
    }
    const content = readOrCreateKeyFile(opts.keyFile);
    return new Keyring({ kind: 'file', file: opts.keyFile }, content.current, decodeAll(content));
  }

  /** The id of the key new values are encrypted with. */
  get currentKeyId(): string {
    return this.current;
  }

  /** Every key id that can decrypt, current first. */
  get keyIds(): string[] {
    return [this.current, ...[...this.keys.keys()].filter((id) => id !== this.current)];
  }

  isEncrypted(value: string): boolean {
    return isEncrypted(value);
  }

  encrypt(plaintext: string): string {
    const head = `${PREFIX}${this.current}`;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.current)!, iv);
    cipher.setAAD(Buffer.from(head));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${head}:${b64url(iv)}:${b64url(cipher.getAuthTag())}:${b64url(body)}`;
  }

  decrypt(token: string): string {
    const { keyId, iv, tag, body } = parseToken(token);
    const key = this.keys.get(keyId);
    if (!key) {
      throw new WharfError('RUNTIME_ERROR', `A secret value was encrypted with key '${keyId}', which this server does not have`, {
        hint:
          this.source.kind === 'env'
            ? `Set that key in WHARF_SECRET_KEY_PREVIOUS (or WHARF_SECRET_KEY), or restore the key file it came from. Known keys: ${this.keyIds.join(', ')}.`
            : `Restore key '${keyId}' into ${this.source.file}, or start Wharf with that key in WHARF_SECRET_KEY. Known keys: ${this.keyIds.join(', ')}.`,
      });
    }
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(`${PREFIX}${keyId}`));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new WharfError('RUNTIME_ERROR', `A secret value encrypted with key '${keyId}' failed its integrity check`, {
        hint: 'The stored value was altered or damaged. Set the variable again to replace it.',
        cause,
      });
    }
  }

  /** Decrypts with whatever key the token names and encrypts with the current key. */
  reencrypt(token: string): string {
    const plaintext = this.decrypt(token);
    return keyIdOf(token) === this.current ? token : this.encrypt(plaintext);
  }

  /** Adds a new current key to the key file (old keys stay, so existing values still decrypt); returns its id. */
  rotate(): string {
    const file = this.fileOrThrow('rotate');
    const content = readKeyFile(file);
    const key = newKeyBase64();
    const id = keyIdFor(Buffer.from(key, 'base64'));
    const next: KeyFileContent = { current: id, keys: { ...content.keys, [id]: key } };
    writeKeyFile(file, next);
    this.current = id;
    this.keys = decodeAll(next);
    return id;
  }

  /**
   * Removes an old key from the key file. Re-encrypt every value first; pass the stored
   * tokens as `inUse` and retire refuses while any of them still uses the key.
   */
  retire(keyId: string, inUse: Iterable<string> = []): void {
    const file = this.fileOrThrow('retire');
    const content = readKeyFile(file);
    if (keyId === content.current) {
      throw new WharfError('BAD_REQUEST', `Key '${keyId}' is the current key and cannot be retired`, {
        hint: 'Rotate first, re-encrypt the stored values, then retire the old key.',
      });
    }
    if (!(keyId in content.keys)) {
      throw new WharfError('NOT_FOUND', `There is no key '${keyId}' in ${file}`, { hint: `Known keys: ${Object.keys(content.keys).join(', ')}.` });
    }
    let users = 0;
    for (const token of inUse) if (keyIdOf(token) === keyId) users += 1;
    if (users > 0) {
      throw new WharfError('CONFLICT', `Key '${keyId}' still encrypts ${users} stored value${users === 1 ? '' : 's'}`, {
        hint: 'Re-encrypt them with the current key first; retiring the key now would make them unreadable.',
      });
    }
    const keys = { ...content.keys };
    delete keys[keyId];
    const next = { current: content.current, keys };
    writeKeyFile(file, next);
    this.current = next.current;
    this.keys = decodeAll(next);
  }

  private fileOrThrow(action: 'rotate' | 'retire'): string {
    if (this.source.kind === 'file') return this.source.file;
    throw new WharfError('BAD_REQUEST', `Wharf cannot ${action} a key given in WHARF_SECRET_KEY`, {
      hint: action === 'rotate' ? ENV_ROTATE_HINT : 'Remove WHARF_SECRET_KEY_PREVIOUS once every stored value is re-encrypted with the current key.',
    });
  }
}

function decodeAll(content: KeyFileContent): Map<string, Buffer> {
  return new Map(Object.entries(content.keys).map(([id, value]) => [id, decodeKey(value, `Key '${id}'`)]));
}

function parseToken(token: string): { keyId: string; iv: Buffer; tag: Buffer; body: Buffer } {
  const parts = isEncrypted(token) ? token.slice(PREFIX.length).split(':') : [];
  const [keyId, iv, tag, body] = parts.length === 4 ? parts.map((p, i) => (i === 0 ? p : fromB64url(p))) : [];
  if (typeof keyId !== 'string' || !keyId || !(iv instanceof Buffer) || iv.length !== IV_BYTES || !(tag instanceof Buffer) || tag.length !== TAG_BYTES || !(body instanceof Buffer)) {
    throw new WharfError('RUNTIME_ERROR', 'A stored secret value is not a valid encrypted value', {
      hint: `Encrypted values look like ${PREFIX}<keyId>:<iv>:<tag>:<ciphertext>. Set the variable again to replace it.`,
    });
  }
  return { keyId, iv, tag, body };
}

function b64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/** Decodes canonical base64url only, so no two texts decode to the same bytes. */
function fromB64url(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}
