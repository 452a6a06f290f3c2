import { z } from 'zod';
import { projectSpecSchema } from '../../core/project-spec.js';

// The JSON Schema of wharf.toml (for editors: Taplo / Even Better TOML read `#:schema`),
// generated from the same zod schema that validates it. scripts/write-schema.ts writes it
// to docs/wharf.schema.json; a test fails when that file is stale.

export const SCHEMA_ID = 'https://wharf.dev/wharf.schema.json';

export function wharfJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(projectSpecSchema, { io: 'input' }) as Record<string, unknown>;
  const { $schema, ...rest } = schema;
  return { $schema, $id: SCHEMA_ID, title: 'wharf.toml', description: 'A Wharf project as code: services, databases, shared variables and per-environment overrides.', ...rest };
}

export function wharfJsonSchemaText(): string {
  return JSON.stringify(wharfJsonSchema(), null, 2) + '\n';
}
