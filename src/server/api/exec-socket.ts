import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { WharfError } from '../../core/errors.js';
import type { DeployContext } from '../deploy/context.js';
import { jobEnvironment } from '../deploy/pre-deploy.js';
import type { ExecSession } from '../../core/runtime.js';
import { placementOf } from '../deploy/placement.js';
import { appUserFor } from '../isolation/isolation.js';
import { newId } from '../store/ids.js';
import { toWharfError } from './errors.js';
import { resolveInstance } from './resolve.js';

/**
 * `wharf exec -it` / `wharf run --remote -it`: an interactive command on a real pseudo-terminal
 * in the service's live build, over a WebSocket upgrade of
 * `GET /v1/projects/:p/environments/:e/services/:s/exec?cmd=ARG0&cmd=ARG1…&cols=&rows=&term=`.
 * The bearer token, the target and the command are checked before upgrading (401/404/409/400 as
 * JSON errors, like every route). Frames: binary = terminal bytes both ways; text from the
 * client `{"type":"resize","cols","rows"}`; text from the server `{"type":"exit","code","signal"}`
 * then close. Output is not redacted (it is a terminal); the audit record names the command,
 * never the environment. Closing the socket hangs up the program.
 */

const EXEC_PATH = /^\/v1\/projects\/([^/]+)\/environments\/([^/]+)\/services\/([^/]+)\/exec$/;
const TERM = /^[A-Za-z0-9._+-]{1,64}$/;
const MAX_BUFFERED = 1 << 20;
const HEARTBEAT_MS = 30_000;

type ExecDeps = Pick<DeployContext, 'store' | 'options' | 'databases' | 'logger' | 'runtime'>;

const clampSize = (n: number, fallback: number): number => (Number.isInteger(n) && n >= 1 ? Math.min(n, 1000) : fallback);

interface UpgradeServer {
  on(event: 'upgrade', listener: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): unknown;
}

export interface ExecSocket {
  /** Hangs up every session and closes their sockets (the control plane is stopping). */
  close(): void;
}

interface ExecRequest {
  command: string[];
  cols: number;
  rows: number;
  term: string;
  timeoutMs: number;
}

function parseQuery(params: URLSearchParams): ExecRequest {
  const command = params.getAll('cmd');
  if (command.length === 0 || command.length > 1000 || command[0] === '') {
    throw new WharfError('BAD_REQUEST', 'no command given: pass it as repeated `cmd` query parameters (argv, no shell)', { hint: 'e.g. `wharf exec -it -- sh`' });
  }
  const term = params.get('term') ?? 'xterm-256color';
  const timeoutSeconds = params.has('timeout') ? Number(params.get('timeout')) : 3600;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 86_400) {
    throw new WharfError('BAD_REQUEST', 'timeout must be a whole number of seconds from 1 to 86400');
  }
  return {
    command,
    cols: clampSize(Number(params.get('cols')), 80),
    rows: clampSize(Number(params.get('rows')), 24),
    term: TERM.test(term) ? term : 'xterm-256color',
    timeoutMs: timeoutSeconds * 1000,
  };
}

/** Answers an upgrade request with an HTTP error (the API's `{error:{…}}` body) and hangs up. */
function refuse(socket: Duplex, error: WharfError): void {
  const body = JSON.stringify(error.toJSON());
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

export function attachExecSocket(server: UpgradeServer, deps: ExecDeps): ExecSocket {
  const { store, logger } = deps;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1 << 20 });
  const sessions = new Set<() => void>();

  server.on('upgrade', (req, socket, head) => void upgrade(req, socket, head));

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    try {
      const url = new URL(req.url ?? '/', 'http://wharf.invalid');
      const match = EXEC_PATH.exec(url.pathname);
      if (!match) throw new WharfError('NOT_FOUND', 'no such WebSocket route', { hint: 'The only one is GET …/services/:service/exec.' });
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      const token = bearer ? store.tokens.verify(bearer[1]!) : null;
      if (!token) {
        throw new WharfError('UNAUTHORIZED', bearer ? 'the API token is not valid' : 'this request needs an API token', {
          hint: 'The first `npm start` wrote a token to the CLI config (config.json in WHARF_HOME: /var/lib/wharf for root, ~/.wharf otherwise); or set WHARF_TOKEN.',
        });
      }
      const [project, environment, service] = match.slice(1).map((part) => decodeURIComponent(part));
      const ctx = resolveInstance(store, project!, environment!, service!);
      const exec = parseQuery(url.searchParams);
      const activeId = store.projects.getInstance(ctx.instance.id).activeDeploymentId;
      const deployment = activeId ? store.deployments.get(activeId) : null;
      const artifact = deployment?.artifactId ? store.artifacts.find(deployment.artifactId) : null;
      if (!deployment || !artifact || artifact.removedAt) {
        throw new WharfError('CONFLICT', `${ctx.service.name} has no live deployment to run a command in`, { hint: 'Deploy it first with `wharf up`.' });
      }
      const jobId = newId('job');
      const target = `${ctx.project.name}/${ctx.environment.name}/${ctx.service.name}`;
      // Like any one-off command: as the service's user, in a fresh copy (or container) of the
      // build. Started before the upgrade, so a missing program is still an HTTP error.
      const job = await deps.runtime.exec({
        execId: jobId,
        serviceInstanceId: ctx.instance.id,
        artifact: artifact.ref,
        ...placementOf(deps, ctx.instance.id),
        command: exec.command,
        env: jobEnvironment(deps, deployment, { migration: true }),
        user: appUserFor(deps, ctx.instance.id),
        cols: exec.cols,
        rows: exec.rows,
        term: exec.term,
        timeoutMs: exec.timeoutMs,
      });
      // The client may have gone while the command was being made.
      const gone = () => job.hangUp();
      socket.once('close', gone);
      if (socket.destroyed) return job.hangUp();
      wss.handleUpgrade(req, socket, head, (ws) => {
        socket.off('close', gone);
        // The command and who ran it, never the environment (it holds the secrets).
        store.audit.record('api-token', 'run', target, { jobId, command: exec.command, deploymentId: deployment.id, tty: true, token: token.name });
        logger.info({ jobId, target }, 'interactive command started');
        attach(ws, job);
      });
    } catch (error) {
      const wharf = toWharfError(error);
      if (wharf.code === 'INTERNAL') logger.error({ err: error, path: req.url }, 'unexpected error in an exec upgrade');
      refuse(socket, wharf);
    }
  }

  function attach(ws: WebSocket, job: ExecSession): void {
    if (ws.readyState !== ws.OPEN) {
      job.hangUp();
      return;
    }
    let alive = true;
    const heartbeat = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, HEARTBEAT_MS);
    ws.on('pong', () => (alive = true));
    const hangUp = () => job.hangUp();
    sessions.add(hangUp);

    let paused = false;
    job.onData((data) => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(data, { binary: true }, () => {
        if (paused && ws.bufferedAmount < MAX_BUFFERED / 2) {
          paused = false;
          job.resume();
        }
      });
      if (!paused && ws.bufferedAmount > MAX_BUFFERED) {
        paused = true;
        job.pause();
      }
    });
    const onMessage = (bytes: Buffer, isBinary: boolean) => {
      if (isBinary) return job.write(bytes);
      try {
        const message = JSON.parse(bytes.toString('utf8')) as { type?: unknown; cols?: unknown; rows?: unknown };
        if (message.type === 'resize') job.resize(Number(message.cols), Number(message.rows));
      } catch {
        /* not JSON: ignored, like any unknown message */
      }
    };
    ws.on('message', (data: RawData, isBinary) => onMessage(toBuffer(data), isBinary));
    ws.on('close', hangUp);
    ws.on('error', hangUp);
    void job.exited.then((exit) => {
      clearInterval(heartbeat);
      sessions.delete(hangUp);
      if (ws.readyState === ws.OPEN) {
        ws.send(JSON.stringify({ type: 'exit', code: exit.code, signal: exit.signal, ...(exit.timedOut ? { timedOut: true } : {}) }));
        ws.close(1000);
      }
    });
  }

  return {
    close() {
      for (const hangUp of sessions) hangUp();
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}

const toBuffer = (data: RawData): Buffer => (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));
