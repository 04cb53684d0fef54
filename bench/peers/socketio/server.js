// Benchmark peer: Socket.IO 4.8 on Node with connection state recovery, doing the node's job as a Socket.IO user
// would: the JWT checked on connect (auth payload), one room per user, the node's publish route
// (publish-route.js), and an application-level "ack" event from every client that is received and dropped.
// It tracks no delivery and retries nothing; recovery replays, from memory, what a socket missed while it was
// disconnected for up to 2 minutes (the node's retention window), if that socket comes back.
//
// Started by the bench as `node server.js --urls http://127.0.0.1:PORT` with Auth__SigningKey and Api__Key in the
// environment, like the .NET servers.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { publishRoute } from './publish-route.js';
import { userOf } from './token.js';
import { roomOf } from './user-room.js';

const signingKey = process.env.Auth__SigningKey;
const apiKey = process.env.Api__Key;
if (!signingKey || !apiKey) {
  console.error('Refusing to start without Auth__SigningKey and Api__Key.');
  process.exit(1);
}
const urlsAt = process.argv.indexOf('--urls');
const url = new URL(urlsAt > 0 ? process.argv[urlsAt + 1] : 'http://127.0.0.1:5000');

const io = new Server({
  serveClient: false,
  connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000, skipMiddlewares: true },
});
io.use((socket, next) => {
  const user = userOf(socket.handshake.auth?.token, signingKey);
  if (user === null) {
    next(new Error('auth_failed'));
    return;
  }
  socket.data.user = user;
  next();
});
io.on('connection', (socket) => {
  if (!socket.recovered) {
    socket.join(roomOf(socket.data.user)); // a recovered socket has its rooms back
  }
  socket.on('ack', () => {
    // Read and dropped: Socket.IO has no per-message delivery tracking to feed.
  });
});

// The publish route first, then Socket.IO, which passes every request outside /socket.io/ on to it.
const http = createServer(publishRoute(io, apiKey));
io.attach(http);
http.listen(Number(url.port), url.hostname, () => console.log(`socket.io peer listening on ${url.origin}`));
