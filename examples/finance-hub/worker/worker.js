// Finance Hub worker: takes queued transactions off the Redis list and stores them in Postgres
// (idempotent by id), then bumps the version the API's cache is keyed by. A transaction that
// cannot be stored goes back on the queue and is retried.
const { Pool } = require('pg');
const { createClient } = require('redis');

const QUEUE = 'transactions:queue';
const VERSION = 'transactions:version';

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
const redis = createClient({ url: process.env.REDIS_URL });
redis.on('error', (error) => console.error(`redis: ${error.message}`));
let stopping = false;
let processed = 0;

async function store(transaction) {
  await pool.query('INSERT INTO transactions (id, description, amount_cents) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [
    transaction.id,
    transaction.description,
    transaction.amount_cents,
  ]);
  await redis.incr(VERSION);
}

async function loop() {
  while (!stopping) {
    // Blocks up to 2 s so that a SIGTERM is noticed quickly.
    const item = await redis.brPop(QUEUE, 2);
    if (!item) continue;
    let transaction;
    try {
      transaction = JSON.parse(item.element);
    } catch {
      console.error(`dropped a malformed queue entry: ${item.element.slice(0, 100)}`);
      continue;
    }
    try {
      await store(transaction);
      processed++;
      console.log(`stored transaction ${transaction.id} (${processed} so far)`);
    } catch (error) {
      console.error(`could not store ${transaction.id}, retrying in 1 s: ${error.message}`);
      await redis.rPush(QUEUE, item.element);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

process.on('SIGTERM', () => {
  stopping = true;
});

async function main() {
  await redis.connect();
  console.log(`finance-hub worker waiting on ${QUEUE}`);
  await loop();
  await Promise.allSettled([pool.end(), redis.quit()]);
  console.log('finance-hub worker stopped');
}

main().catch((error) => {
  console.error(`finance-hub worker failed: ${error.message}`);
  process.exit(1);
});
