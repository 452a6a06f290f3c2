// The Procfile's web process: answers "procfile-app" on $PORT.
const http = require('node:http');

const port = Number(process.env.PORT || 3000);
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('procfile-app\n');
});
server.listen(port, () => console.log(`procfile-app web listening on port ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
