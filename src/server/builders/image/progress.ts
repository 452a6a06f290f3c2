import type { LogSink } from '../../../core/build.js';
import { decodeStatus, type BuildkitVertex } from './buildkit-status.js';

// The engine's build stream, as lines in the build log. The legacy builder sends text
// (`{stream}`); BuildKit sends vertex updates, shown the way `docker build --progress=plain`
// shows them: "#3 [build 2/4] RUN npm ci", "#3 0.42 output…", "#3 CACHED", "#3 DONE 1.2s".

export interface BuildMessage {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  id?: string;
  aux?: unknown;
}

interface VertexState {
  no: number;
  name: string;
  started?: number;
  announced: boolean;
  finished: boolean;
  /** A log line not yet ended by a newline. */
  partial: string;
}

export class BuildProgress {
  /** The image ID the engine reported (BuildKit's moby.image.id, or the legacy aux ID). */
  imageId: string | null = null;
  /** Steps the cache answered: BuildKit's cached vertexes, the legacy builder's "Using cache". */
  cachedSteps = 0;
  /** The engine's error, if the build failed. */
  error: string | null = null;
  /** The last lines of output, for the error message. */
  readonly tail: string[] = [];
  private readonly vertexes = new Map<string, VertexState>();
  private partial = '';

  constructor(private readonly log: LogSink) {}

  handle(message: BuildMessage): void {
    if (message.error || message.errorDetail?.message) {
      this.error = message.errorDetail?.message || message.error || 'the build failed';
      this.line(`ERROR: ${this.error}`, 'err');
      return;
    }
    if (message.id === 'moby.buildkit.trace' && typeof message.aux === 'string') return this.trace(message.aux);
    const aux = message.aux as { ID?: unknown } | undefined;
    if (aux && typeof aux.ID === 'string') {
      this.imageId = aux.ID;
      return;
    }
    if (typeof message.stream === 'string') this.text(message.stream);
    else if (typeof message.status === 'string' && message.id !== 'moby.buildkit.trace') this.line(message.status, 'out');
  }

  /** Lines still held back when the stream ends. */
  flush(): void {
    if (this.partial.trim()) this.line(this.partial.trimEnd(), 'out');
    this.partial = '';
    for (const v of this.vertexes.values()) if (v.partial.trim()) this.line(`#${v.no} ${v.partial.trimEnd()}`, 'out');
  }

  private text(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop()!;
    for (const raw of lines) {
      const line = raw.replace(/\r$/, '');
      if (line.trim() === '') continue;
      if (line.trim() === '---> Using cache') this.cachedSteps++;
      this.line(line, 'out');
    }
  }

  private trace(aux: string): void {
    let status;
    try {
      status = decodeStatus(aux);
    } catch {
      return; // a progress message we cannot read never fails the build
    }
    for (const v of status.vertexes) this.vertex(v);
    for (const l of status.logs) {
      const state = this.state(l.vertex, '');
      const lines = (state.partial + l.data.toString('utf8')).split(/\r?\n/);
      state.partial = lines.pop()!;
      const elapsed = state.started !== undefined ? ((Date.now() - state.started) / 1000).toFixed(2) + ' ' : '';
      for (const line of lines) if (line.trim() !== '') this.line(`#${state.no} ${elapsed}${line}`, 'out');
    }
  }

  private vertex(v: BuildkitVertex): void {
    const state = this.state(v.digest, v.name);
    if (v.started !== undefined) state.started = v.started;
    if (!state.announced && (v.started !== undefined || v.cached || v.completed !== undefined)) {
      state.announced = true;
      this.line(`#${state.no} ${state.name}`, 'out');
    }
    if (state.finished) return;
    if (v.error) {
      state.finished = true;
      this.line(`#${state.no} ERROR: ${v.error}`, 'err');
    } else if (v.cached && v.completed !== undefined) {
      state.finished = true;
      // Only the Dockerfile's own steps count (`[stage n/m] RUN …`): not loading the context, nor
      // a FROM (a base image another stage already resolved shows as cached too).
      if (/^\[[^\]]*\d+\/\d+\] (?!FROM )/.test(state.name)) this.cachedSteps++;
      this.line(`#${state.no} CACHED`, 'out');
    } else if (v.completed !== undefined) {
      state.finished = true;
      const seconds = state.started !== undefined ? Math.max(0, (v.completed - state.started) / 1000) : 0;
      this.line(`#${state.no} DONE ${seconds.toFixed(1)}s`, 'out');
    }
  }

  private state(digest: string, name: string): VertexState {
    let state = this.vertexes.get(digest);
    if (!state) {
      state = { no: this.vertexes.size + 1, name, announced: false, finished: false, partial: '' };
      this.vertexes.set(digest, state);
    } else if (name && !state.name) state.name = name;
    return state;
  }

  private line(text: string, stream: 'out' | 'err'): void {
    this.tail.push(text);
    if (this.tail.length > 20) this.tail.shift();
    this.log(text, stream);
  }
}
