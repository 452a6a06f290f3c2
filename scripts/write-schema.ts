// Writes docs/wharf.schema.json from the ProjectSpec zod schema:
//   node --import tsx scripts/write-schema.ts
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { wharfJsonSchemaText } from '../src/shared/config/json-schema.js';

const target = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'wharf.schema.json');
await fs.writeFile(target, wharfJsonSchemaText());
console.log(`wrote ${path.relative(process.cwd(), target)}`);
