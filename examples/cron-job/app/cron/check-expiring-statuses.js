// Mirrors seed 002's `python -m app.cron.checkExpiringStatuses`: look for statuses about to
// expire, print a report, exit 0 (or non-zero when the check itself failed, so Wharf records
// the run as FAILED and emits a cron.failed event).
const started = new Date();
console.log(`Starting expiring status check at ${started.toISOString()}`);

const days = Number(process.env.EXPIRY_WINDOW_DAYS || 7);
const statuses = [
  { id: 'st_1', expiresInDays: 3 },
  { id: 'st_2', expiresInDays: 12 },
  { id: 'st_3', expiresInDays: 6 },
];
const expiring = statuses.filter((s) => s.expiresInDays <= days);
for (const s of expiring) console.log(`expiring soon: ${s.id} (in ${s.expiresInDays} days)`);
console.log(`Report: ${expiring.length} of ${statuses.length} statuses expire within ${days} days`);

if (process.env.FAIL_CHECK === '1') {
  console.error('check failed: FAIL_CHECK=1');
  process.exit(2);
}
console.log(`Finished in ${Date.now() - started.getTime()} ms`);
