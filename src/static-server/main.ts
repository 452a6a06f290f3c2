import http from 'node:http';
import path from 'node:path';
import { createStaticHandler, pickRoot } from './serve.js';

// `node static-server/main.js <dir> [<dir>…]`: serves the first folder holding index.html
// (relative to the working directory, the release) on $PORT until SIGTERM.

async function main(): Promise<void> {
  const root = path.resolve(await pickRoot(process.argv.slice(2).length ? process.argv.slice(2) : ['.']));
  const port = Number(process.env.PORT ?? 3000);
  const server = http.createServer(createStaticHandler(root));
  server.keepAliveTimeout = 5000;
  server.listen(port, process.env.HOST ?? '0.0.0.0', () => {
    console.log(`static-server: serving ${path.relative(process.cwd(), root) || '.'} on port ${port}`);
  });
  const stop = (signal: string) => {
    console.log(`static-server: ${signal}, closing`);
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  console.error(`static-server: ${(err as Error).message}`);
  process.exit(1);
});
