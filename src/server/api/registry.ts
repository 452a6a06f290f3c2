import { z } from 'zod';

// Every route is declared once with its schemas; the OpenAPI document is made from the same
// declarations, so it cannot drift from what the server validates.

export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Hono-style path, e.g. /v1/projects/:project */
  path: string;
  summary: string;
  body?: z.ZodType;
  /** Content type of a non-JSON body (the source upload). */
  rawBody?: string;
  query?: z.ZodObject;
  response?: z.ZodType;
  /** 'sse' for event streams. */
  stream?: boolean;
  public?: boolean;
}

export class RouteRegistry {
  readonly routes: RouteDoc[] = [];

  add(doc: RouteDoc): RouteDoc {
    this.routes.push(doc);
    return doc;
  }

  openapi(version: string): object {
    const paths: Record<string, Record<string, object>> = {};
    const errorBody = {
      type: 'object',
      properties: {
        error: {
          type: 'object',
          required: ['code', 'message'],
          properties: { code: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' } },
        },
      },
    };
    for (const route of this.routes) {
      const openPath = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
      const parameters = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
      if (route.query) {
        for (const [name, schema] of Object.entries(route.query.shape)) {
          parameters.push({ name, in: 'query', required: false, schema: z.toJSONSchema(schema as z.ZodType, { io: 'input' }) as never });
        }
      }
      const operation: Record<string, unknown> = {
        summary: route.summary,
        parameters,
        responses: {
          '200': route.stream
            ? { description: 'Server-sent events', content: { 'text/event-stream': { schema: { type: 'string' } } } }
            : { description: 'OK', content: { 'application/json': { schema: route.response ? z.toJSONSchema(route.response, { io: 'output' }) : {} } } },
          default: { description: 'Error', content: { 'application/json': { schema: errorBody } } },
        },
      };
      if (route.body) operation.requestBody = { required: true, content: { 'application/json': { schema: z.toJSONSchema(route.body, { io: 'input' }) } } };
      if (route.rawBody) operation.requestBody = { required: true, content: { [route.rawBody]: { schema: { type: 'string', format: 'binary' } } } };
      if (!route.public) operation.security = [{ bearer: [] }];
      (paths[openPath] ??= {})[route.method] = operation;
    }
    return {
      openapi: '3.1.0',
      info: { title: 'Wharf API', version },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      paths,
    };
  }
}
