import { createReadStream } from 'node:fs';
import { request, type Dispatcher } from 'undici';
import { WharfError, type ErrorCode, ERRORS } from '../core/errors.js';

// The CLI's one door to the server. Errors from the API arrive as {error:{code,message,hint}}
// and leave as WharfError, so main.ts prints every failure the same way.

export interface SseEvent {
  event: string;
  data: string;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PUT', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PATCH', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  async upload<T>(path: string, file: string): Promise<T> {
    const res = await this.send('POST', path, { body: createReadStream(file), headers: { 'content-type': 'application/gzip' } });
    return this.read<T>(res);
  }

  /** Server-sent events, until the server ends the stream or `signal` aborts. */
  async *events(path: string, signal?: AbortSignal, body?: unknown): AsyncGenerator<SseEvent> {
    const res =
      body === undefined
        ? await this.send('GET', path, { headers: { accept: 'text/event-stream' }, signal })
        : await this.send('POST', path, { headers: { accept: 'text/event-stream', 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
    if (res.statusCode >= 400) await this.read(res);
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += chunk.toString('utf8');
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { event: 'message', data: '' };
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event.event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          event.data = data.join('\n');
          yield event;
        }
      }
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    }
  }

  private async call<T>(method: Dispatcher.HttpMethod, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    return this.read<T>(res);
  }

  private async send(
    method: Dispatcher.HttpMethod,
    path: string,
    options: { body?: string | NodeJS.ReadableStream; headers?: Record<string, string>; signal?: AbortSignal },
  ): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    try {
      return await request(new URL(path, this.baseUrl), {
        method,
        headers,
        body: options.body as never,
        signal: options.signal,
        headersTimeout: 0,
        bodyTimeout: 0,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new WharfError('SERVER_UNREACHABLE', `cannot reach the Wharf server at ${this.baseUrl} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, {
        hint: 'Start it with `npm start` in the Wharf folder, or point the CLI at it with WHARF_API_URL.',
      });
    }
  }

  private async read<T>(res: Dispatcher.ResponseData): Promise<T> {
    const text = await res.body.text();
    const value = text === '' ? null : (JSON.parse(text) as unknown);
    if (res.statusCode >= 400) {
      const body = (value as { error?: { code?: string; message?: string; hint?: string } } | null)?.error;
      const code = body?.code && body.code in ERRORS ? (body.code as ErrorCode) : 'INTERNAL';
      throw new WharfError(code, body?.message ?? `the server answered ${res.statusCode}`, { hint: body?.hint });
    }
    return value as T;
  }
}
