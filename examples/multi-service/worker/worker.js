// The worker half: no port, no route. It beats to web through the router's private
// listener (WEB_URL = http://${{web.RAILWAY_PRIVATE_DOMAIN}}:${{web.PORT}}).
const url = new URL('/heartbeat', process.env.WEB_URL);
const every = Number(process.env.BEAT_MS || 1000);
let sent = 0;

async function beat() {
  try {
    const res = await fetch(url, { method: 'POST', body: JSON.stringify({ from: process.env.RAILWAY_SERVICE_NAME }) });
    sent++;
    if (sent === 1 || sent % 20 === 0) console.log(`heartbeat ${sent} → ${res.status}`);
  } catch (error) {
    console.error(`heartbeat failed: ${error.cause?.code ?? error.message}`);
  }
}

console.log(`worker beating to ${url} every ${every} ms`);
const timer = setInterval(beat, every);
process.on('SIGTERM', () => {
  clearInterval(timer);
  process.exit(0);
});
