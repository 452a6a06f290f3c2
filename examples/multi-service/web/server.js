// The web half of the multi-service example: shows its resolved variables and the
// heartbeats the worker sends over Wharf's private network.
const http = require('node:http');

const heartbeats = { count: 0, last: null, from: null };

const server = http.createServer((req, res) => {
  const reply = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method === 'GET' && req.url === '/api/health') return reply(200, { status: 'healthy' });
  if (req.method === 'POST' && req.url === '/heartbeat') {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      heartbeats.count++;
      heartbeats.last = new Date().toISOString();
      heartbeats.from = JSON.parse(body || '{}').from ?? null;
      reply(200, { ok: true });
    });
    return;
  }
  if (req.method === 'GET' && req.url === '/') {
    return reply(200, {
      service: process.env.RAILWAY_SERVICE_NAME,
      environment: process.env.RAILWAY_ENVIRONMENT_NAME,
      greeting: process.env.GREETING,
      workerService: process.env.WORKER_SERVICE,
      hasSessionSecret: (process.env.SESSION_SECRET ?? '').length >= 32,
      heartbeats,
    });
  }
  reply(404, { error: 'not found' });
});

server.listen(Number(process.env.PORT || 3000), () => console.log(`web listening on ${process.env.PORT}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
