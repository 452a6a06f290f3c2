import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

// The CLI's config file (mode 0600: it holds the API token). The server writes the first
// token into it; the CLI adds folder links (like Railway's, keyed by absolute path).

export const linkSchema = z.object({
  project: z.string(),
  environment: z.string(),
  service: z.string().optional(),
});

export const cliConfigSchema = z.object({
  apiUrl: z.string().optional(),
  token: z.string().optional(),
  links: z.record(z.string(), linkSchema).default({}),
});

export type CliConfig = z.infer<typeof cliConfigSchema>;
export type Link = z.infer<typeof linkSchema>;

export function readCliConfig(file: string): CliConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { links: {} };
  }
  const parsed = cliConfigSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} is not a valid Wharf CLI config: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

export function writeCliConfig(file: string, config: CliConfig): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function updateCliConfig(file: string, change: (config: CliConfig) => CliConfig): CliConfig {
  const next = change(readCliConfig(file));
  writeCliConfig(file, next);
  return next;
}
