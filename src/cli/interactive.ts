import { constants as osConstants } from 'node:os';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { ERRORS, WharfError, type ErrorCode } from '../core/errors.js';

// The CLI's half of `wharf exec -it`: this terminal in raw mode, every keystroke (Ctrl-C
// included: in raw mode it is a byte, not a signal for us) sent to the program's pty on the
// server, its output written here, the window size sent at start and on every resize, and the
// program's exit code returned. The terminal is restored whatever happens.

export interface Connection {
  baseUrl: string;
  token: string | undefined;
}

interface ExitMessage {
  type: 'exit';
  code: number | null;
  signal: string | null;
  timedOut?: boolean;
  error?: string;
}

/** Refuses before anything is sent when this side has no terminal to put in raw mode. */
export function requireTerminal(): void {
  const missing = !process.stdin.isTTY ? 'stdin' : !process.stdout.isTTY ? 'stdout' : null;
  if (missing) {
    throw new WharfError('BAD_REQUEST', `-it needs a terminal, and ${missing} is not one`, {
      hint: 'Drop -it to run the command without a terminal (its output is streamed line by line), or run wharf from an interactive terminal.',
    });
  }
}

function execUrl(conn: Connection, servicePath: string, argv: string[]): URL {
  const url = new URL(`${servicePath}/exec`, conn.baseUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const arg of argv) url.searchParams.append('cmd', arg);
  url.searchParams.set('cols', String(process.stdout.columns || 80));
  url.searchParams.set('rows', String(process.stdout.rows || 24));
  if (process.env.TERM) url.searchParams.set('term', process.env.TERM);
  return url;
}

/** The API's `{error:{code,message,hint}}` answer to the upgrade, as a WharfError. */
async function refusal(res: IncomingMessage): Promise<WharfError> {
  let text = '';
  for await (const chunk of res) text += (chunk as Buffer).toString('utf8');
  try {
    const body = (JSON.parse(text) as { error?: { code?: string; message?: string; hint?: string } }).error;
    const code = body?.code && body.code in ERRORS ? (body.code as ErrorCode) : 'INTERNAL';
    return new WharfError(code, body?.message ?? `the server answered ${res.statusCode}`, { hint: body?.hint });
  } catch {
    return new WharfError('INTERNAL', `the server answered ${res.statusCode} to the terminal connection`);
  }
}

const exitCodeOf = (exit: ExitMessage): number => {
  if (exit.code !== null) return exit.code;
  const n = exit.signal ? (osConstants.signals as Record<string, number>)[exit.signal] : undefined;
  return n ? 128 + n : 1;
};

export async function runInteractive(conn: Connection, servicePath: string, argv: string[]): Promise<number> {
  requireTerminal();
  const { stdin, stdout } = process;
  const ws = new WebSocket(execUrl(conn, servicePath, argv), {
    headers: conn.token ? { authorization: `Bearer ${conn.token}` } : {},
    perMessageDeflate: false,
  });

  // Connected, or refused with the API's error (401, 404, 409 …) before the terminal changes.
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => {
      void refusal(res).then(reject, reject);
    });
    ws.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new WharfError('SERVER_UNREACHABLE', `cannot reach the Wharf server at ${conn.baseUrl} (${error.code ?? error.message})`, {
          hint: 'Start it with `npm start` in the Wharf folder, or point the CLI at it with WHARF_API_URL.',
        }),
      ),
    );
  });

  let exit: ExitMessage | null = null;
  const restore = () => {
    if (stdin.isTTY && stdin.isRaw) stdin.setRawMode(false);
  };
  const onInput = (data: Buffer) => {
    if (ws.readyState === ws.OPEN) ws.send(data, { binary: true });
  };
  const onResize = () => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'resize', cols: stdout.columns, rows: stdout.rows }));
  };
  process.on('exit', restore); // a crash or process.exit still gives the terminal back
  stdin.setRawMode(true);
  stdin.on('data', onInput);
  stdin.resume();
  stdout.on('resize', onResize);

  try {
    return await new Promise<number>((resolve) => {
      ws.on('message', (data: WebSocket.RawData, isBinary) => {
        const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        if (isBinary) {
          if (!stdout.write(bytes)) {
            ws.pause();
            stdout.once('drain', () => ws.resume());
          }
          return;
        }
        try {
          const message = JSON.parse(bytes.toString('utf8')) as { type?: string };
          if (message.type === 'exit') exit = message as ExitMessage;
        } catch {
          /* unknown text frames are ignored */
        }
      });
      ws.on('error', () => undefined); // 'close' follows and reports
      ws.on('close', () => {
        restore();
        if (!exit) {
          process.stderr.write('\r\nwharf: the connection to the server closed before the command ended\r\n');
          return resolve(1);
        }
        if (exit.error) process.stderr.write(`wharf: ${exit.error}\n`);
        if (exit.timedOut) process.stderr.write('wharf: the command timed out on the server\n');
        resolve(exitCodeOf(exit));
      });
    });
  } finally {
    restore();
    process.off('exit', restore);
    stdin.off('data', onInput);
    stdin.pause();
    stdout.off('resize', onResize);
  }
}
