import { randomBytes } from 'node:crypto';

export type IdPrefix = 'prj' | 'env' | 'svc' | 'si' | 'dep' | 'rep' | 'art' | 'tok' | 'run' | 'job' | 'db' | 'bak';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}

export function now(): string {
  return new Date().toISOString();
}
