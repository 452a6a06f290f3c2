// The schema, applied by the pre-deploy command with the migration role (DATABASE_MIGRATION_URL):
// the app role in DATABASE_URL may read and write rows but not change the schema.
const { Client } = require('pg');

const MIGRATIONS = [
  `CREATE TABLE IF NOT EXISTS transactions (
     id uuid PRIMARY KEY,
     description text NOT NULL,
     amount_cents bigint NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   )`,
  'CREATE INDEX IF NOT EXISTS transactions_created_at ON transactions (created_at DESC)',
];

async function main() {
  const url = process.env.DATABASE_MIGRATION_URL;
  if (!url) throw new Error('DATABASE_MIGRATION_URL is not set: run this as the pre-deploy command (or `wharf run --remote -- npm run migrate`)');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    for (const sql of MIGRATIONS) await client.query(sql);
    await client.query('COMMIT');
    console.log(`migrations applied: ${MIGRATIONS.length}`);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

main().catch((error) => {
  console.error(`migration failed: ${error.message}`);
  process.exit(1);
});
