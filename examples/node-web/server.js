// node-web: a dependency-free app to deploy with Wharf.
//   GET /            → {"app":"node-web","version":…,"greeting":…}
//   GET /api/health  → 200 {"status":"healthy"}, or 503 with HEALTH_FAIL=1 or a file ./unhealthy
//   GET /slow?ms=N   → answers after N ms (at most 30000); with &announce=1 it prints when it starts
//   /ws              → WebSocket echo of text frames
// On SIGTERM it stops accepting, lets in-flight requests finish, closes WebSockets with 1001, exits 0.
const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');

const port = Number(process.env.PORT || 3000);
const version = process.env.APP_VERSION ?? '1';
const greeting = process.env.GREETING ?? 'Hello from Wharf';
const sockets = new Set();
let stopping = false;

function json(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function healthy() {
  return process.env.HEALTH_FAIL !== '1' && !fs.existsSync('unhealthy');
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (stopping) res.setHeader('connection', 'close');
  if (req.method === 'GET' && url.pathname === '/') return json(res, 200, { app: 'node-web', version, greeting, replica: process.env.RAILWAY_REPLICA_ID ?? null });
  if (req.method === 'GET' && url.pathname === '/api/health') {
    return healthy() ? json(res, 200, { status: 'healthy' }) : json(res, 503, { status: 'unhealthy' });
  }
  if (req.method === 'GET' && url.pathname === '/slow') {
    const ms = Math.min(Math.max(Number(url.searchParams.get('ms')) || 0, 0), 30000);
    // For tests that must know the request is in flight here before they act (a stop, a switch).
    if (url.searchParams.get('announce') === '1') console.log(`node-web: slow request started (${ms} ms)`);
    setTimeout(() => json(res, 200, { app: 'node-web', version, sleptMs: ms }), ms);
    return;
  }
  json(res, 404, { error: 'not found' });
});

// --- WebSocket echo (RFC 6455), text frames only ---------------------------------------

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function frame(opcode, payload) {
  const length = payload.length;
  let header;
  if (length < 126) header = Buffer.from([0x80 | opcode, length]);
  else if (length < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([header, payload]);
}

function closeFrame(code, reason = '') {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return frame(0x8, payload);
}

server.on('upgrade', (req, socket) => {
  const url = new URL(req.url, 'http://localhost');
  const key = req.headers['sec-websocket-key'];
  if (url.pathname !== '/ws' || !key || (req.headers.upgrade || '').toLowerCase() !== 'websocket' || stopping) {
    socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    return;
  }
  const accept = crypto.createHash('sha1').update(key + WS_GUID).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n\r\n`);
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => sockets.delete(socket));

  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (buffered.length < 2) return;
      const opcode = buffered[0] & 0x0f;
      const masked = (buffered[1] & 0x80) !== 0;
      let length = buffered[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffered.length < 4) return;
        length = buffered.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffered.length < 10) return;
        length = Number(buffered.readBigUInt64BE(2));
        offset = 10;
      }
      const maskOffset = offset;
      if (masked) offset += 4;
      if (buffered.length < offset + length) return;
      const payload = Buffer.from(buffered.subarray(offset, offset + length));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= buffered[maskOffset + (i % 4)];
      buffered = buffered.subarray(offset + length);

      if (opcode === 0x1) socket.write(frame(0x1, payload)); // text: echo
      else if (opcode === 0x9) socket.write(frame(0xa, payload)); // ping → pong
      else if (opcode === 0x8) {
        socket.end(closeFrame(payload.length >= 2 ? payload.readUInt16BE(0) : 1000));
        sockets.delete(socket);
        return;
      }
    }
  });
});

server.listen(port, () => console.log(`node-web ${version} listening on port ${port}`));

process.on('SIGTERM', () => {
  console.log('node-web: SIGTERM, finishing in-flight requests');
  stopping = true;
  server.close(() => {
    console.log('node-web: stopped');
    process.exit(0);
  });
  server.closeIdleConnections();
  for (const socket of sockets) socket.end(closeFrame(1001, 'server going away'));
  setTimeout(() => process.exit(0), 25000).unref();
});
