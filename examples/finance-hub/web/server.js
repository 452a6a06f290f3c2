// Finance Hub API. POST /api/transactions queues a transaction on a Redis list (the worker stores
// it in Postgres); GET /api/transactions lists them from Postgres through a Redis cache.
const http = require('node:http');
const { randomUUID } = require('node:crypto');
const { Pool } = require('pg');
const { createClient } = require('redis');

const QUEUE = 'transactions:queue';
// The worker bumps this after every insert: a cached list is keyed by it, so it is never stale.
const VERSION = 'transactions:version';
const CACHE_TTL_S = 60;

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 5 });
const redis = createClient({ url: process.env.REDIS_URL });
redis.on('error', (error) => console.error(`redis: ${error.message}`));

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readJson(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 64 * 1024) throw Object.assign(new Error('body too large'), { status: 413 });
  }
  try {
    return JSON.parse(body || '{}');
  } catch {
    throw Object.assign(new Error('body is not JSON'), { status: 400 });
  }
}

async function health(res) {
  const services = { database: 'healthy', redis: 'healthy' };
  await pool.query('SELECT 1').catch(() => (services.database = 'unhealthy'));
  await redis.ping().catch(() => (services.redis = 'unhealthy'));
  const ok = Object.values(services).every((s) => s === 'healthy');
  send(res, ok ? 200 : 503, { status: ok ? 'healthy' : 'unhealthy', timestamp: new Date().toISOString(), services });
}

async function createTransaction(req, res) {
  const { description, amount_cents: amount } = await readJson(req);
  if (typeof description !== 'string' || description.trim() === '' || description.length > 200) {
    return send(res, 400, { error: 'description: a non-empty string of at most 200 characters' });
  }
  if (!Number.isSafeInteger(amount)) return send(res, 400, { error: 'amount_cents: an integer' });
  const transaction = { id: randomUUID(), description: description.trim(), amount_cents: amount, queued_at: new Date().toISOString() };
  await redis.lPush(QUEUE, JSON.stringify(transaction));
  send(res, 202, { id: transaction.id, status: 'queued' });
}

async function listTransactions(res) {
  const version = (await redis.get(VERSION)) ?? '0';
  const key = `transactions:list:${version}`;
  const cached = await redis.get(key);
  if (cached) return send(res, 200, JSON.parse(cached), { 'x-cache': 'HIT' });
  const { rows } = await pool.query(
    'SELECT id, description, amount_cents::text AS amount_cents, created_at FROM transactions ORDER BY created_at DESC, id LIMIT 100',
  );
  const list = rows.map((r) => ({ ...r, amount_cents: Number(r.amount_cents) }));
  await redis.set(key, JSON.stringify(list), { EX: CACHE_TTL_S });
  send(res, 200, list, { 'x-cache': 'MISS' });
}

const server = http.createServer(async (req, res) => {
  try {
    const { pathname } = new URL(req.url, 'http://localhost');
    if (pathname === '/api/health' && req.method === 'GET') return await health(res);
    if (pathname === '/api/transactions' && req.method === 'POST') return await createTransaction(req, res);
    if (pathname === '/api/transactions' && req.method === 'GET') return await listTransactions(res);
    if (pathname === '/') return send(res, 200, { app: 'finance-hub', endpoints: ['GET /api/health', 'POST /api/transactions', 'GET /api/transactions'] });
    send(res, 404, { error: 'not found' });
  } catch (error) {
    console.error(`${req.method} ${req.url}: ${error.message}`);
    send(res, error.status ?? 500, { error: error.status ? error.message : 'internal error' });
  }
});

async function main() {
  await redis.connect();
  const port = Number(process.env.PORT || 3000);
  server.listen(port, () => console.log(`finance-hub web listening on port ${port}`));
}

process.on('SIGTERM', () => {
  server.close(async () => {
    await Promise.allSettled([pool.end(), redis.quit()]);
    process.exit(0);
  });
});

main().catch((error) => {
  console.error(`finance-hub web failed to start: ${error.message}`);
  process.exit(1);
});
