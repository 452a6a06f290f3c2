// The Procfile's worker process: no port, logs a line every few seconds.
let ticks = 0;
const timer = setInterval(() => console.log(`procfile-app worker tick ${++ticks}`), 3000);
console.log('procfile-app worker started');
process.on('SIGTERM', () => {
  clearInterval(timer);
  console.log('procfile-app worker stopping');
  process.exit(0);
});
