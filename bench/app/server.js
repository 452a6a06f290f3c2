// The benchmark's app: answers "ok" to every request on PORT, nothing else, so the figures
// measure the proxy in front of it. Stops cleanly on SIGTERM (Wharf drains replicas that way).
const http = require('node:http');

const port = Number(process.env.PORT || 3000);
const body = Buffer.from('ok');

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(port, () => console.log(`bench app listening on port ${port}`));

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 5_000).unref();
});
