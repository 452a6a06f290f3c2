// A background worker (seed 001's Celery worker, seed 003's BullMQ workers): no port, no route.
// It processes "jobs" on a timer and logs each one; CRASH_AFTER=N makes it exit 1 after N jobs
// so the restart policy can be seen at work.
const every = Number(process.env.JOB_INTERVAL_MS || 1000);
const crashAfter = Number(process.env.CRASH_AFTER || 0);
let done = 0;

console.log(`worker ${process.env.RAILWAY_REPLICA_ID ?? ''} started, a job every ${every} ms`);
const timer = setInterval(() => {
  done++;
  console.log(`processed job ${done}`);
  if (crashAfter > 0 && done >= crashAfter) {
    console.error(`crashing after ${done} jobs (CRASH_AFTER=${crashAfter})`);
    process.exit(1);
  }
}, every);

process.on('SIGTERM', () => {
  clearInterval(timer);
  console.log(`worker stopping after ${done} jobs`);
  process.exit(0);
});
