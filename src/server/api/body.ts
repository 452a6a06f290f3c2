import type { Context } from 'hono';
import type { z } from 'zod';
import { WharfError } from '../../core/errors.js';

/** Reads and validates a JSON body; an empty body counts as `{}`. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const text = await c.req.text();
  let value: unknown = {};
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch {
      throw new WharfError('BAD_REQUEST', 'the request body is not valid JSON', { hint: 'Send a JSON object with Content-Type: application/json.' });
    }
  }
  return schema.parse(value);
}

export function flag(value: string | undefined): boolean {
  return value === '1' || value === 'true';
}
