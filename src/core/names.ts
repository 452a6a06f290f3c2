import { WharfError } from './errors.js';

// User-supplied names reach paths, hostnames and argv: only this shape is allowed.
// It is a DNS label, so hosts made of names (`<service>-<environment>-<project>.<base>`) are valid
// (serviceHost in src/server/options.ts shortens a label past 63 characters).
export const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

export function checkName(kind: string, value: string): string {
  if (!NAME_PATTERN.test(value)) {
    throw new WharfError('INVALID_NAME', `${kind} name '${value}' is not allowed`, {
      hint: `Use 1-40 lowercase letters, digits and dashes, starting and ending with a letter or digit (e.g. '${suggestName(value)}').`,
    });
  }
  return value;
}

export function suggestName(value: string): string {
  const cleaned = value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  return cleaned || 'app';
}

// Ids Wharf makes itself: a prefix and random hex. Checked before they reach a path too.
export const ID_PATTERN = /^[a-z]{2,4}_[a-z0-9]{8,32}$/;

export function checkId(value: string): string {
  if (!ID_PATTERN.test(value)) throw new WharfError('BAD_REQUEST', `'${value}' is not a valid id`);
  return value;
}

/** Replica ids become folder and container names: checked before they reach either. */
export const REPLICA_ID_PATTERN = /^[a-z0-9_-]{1,64}$/;

export function checkReplicaId(replicaId: string): string {
  if (typeof replicaId !== 'string' || !REPLICA_ID_PATTERN.test(replicaId)) {
    throw new WharfError('BAD_REQUEST', `'${String(replicaId)}' is not a valid replica id`, {
      hint: 'Replica ids are 1-64 characters: lowercase letters, digits, "_" and "-".',
    });
  }
  return replicaId;
}
