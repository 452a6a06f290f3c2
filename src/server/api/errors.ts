import type { Context } from 'hono';
import { ZodError } from 'zod';
import { ERRORS, WharfError, isWharfError } from '../../core/errors.js';
import type { Logger } from '../deploy/context.js';

/** The only place a thrown error becomes an HTTP answer: `{error:{code,message,hint}}`. */
export function errorResponse(error: unknown, c: Context, logger: Logger): Response {
  const wharf = toWharfError(error);
  if (wharf.code === 'INTERNAL') logger.error({ err: error, path: c.req.path }, 'unexpected error');
  return c.json(wharf.toJSON(), wharf.status as 400);
}

export function toWharfError(error: unknown): WharfError {
  if (isWharfError(error)) return error;
  if (error instanceof ZodError) {
    const fields = error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
    return new WharfError('BAD_REQUEST', `invalid request: ${fields.join('; ')}`, {
      hint: 'Check the field names and types against GET /v1/openapi.json.',
      details: error.issues.map((i) => ({ path: i.path, message: i.message })),
    });
  }
  if (error instanceof SyntaxError) return new WharfError('BAD_REQUEST', 'the request body is not valid JSON');
  return new WharfError('INTERNAL', ERRORS.INTERNAL.title, { hint: 'See the server log for details.' });
}
