import type { ReplicaSpec } from '../core/runtime.js';
import type { SecretBox } from '../shared/secrets/secret-box.js';

// A replica's environment holds its secrets, and spec.json lies under the state directory:
// the runtime seals env and secret values into one encrypted field, the supervisor opens it.

export const KEY_FILE_ENV = 'WHARF_KEY_FILE';

export interface SealedFields {
  env: Record<string, string>;
  secretValues: Array<{ key: string; value: string }>;
}

export type StoredSpec<T extends ReplicaSpec = ReplicaSpec> = T & { sealed?: string };

export function sealSpec<T extends ReplicaSpec>(spec: T, box: SecretBox | undefined): StoredSpec<T> {
  if (!box) return spec;
  const fields: SealedFields = { env: spec.env, secretValues: spec.secretValues ?? [] };
  const { secretValues: _omit, ...rest } = spec;
  return { ...rest, env: {}, sealed: box.encrypt(JSON.stringify(fields)) } as StoredSpec<T>;
}

export function openSpec<T extends ReplicaSpec>(stored: StoredSpec<T>, box: SecretBox | null): T {
  if (!stored.sealed) return stored;
  if (!box) throw new Error('spec.json is sealed but no key is available (WHARF_KEY_FILE / WHARF_SECRET_KEY)');
  const fields = JSON.parse(box.decrypt(stored.sealed)) as SealedFields;
  const { sealed: _sealed, ...rest } = stored;
  return { ...rest, env: fields.env, secretValues: fields.secretValues } as unknown as T;
}
