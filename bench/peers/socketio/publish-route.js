// POST /api/users/{userId}/events as on the node: X-Api-Key (constant-time), a JSON object with a string type;
// the object plus event_id is emitted to the user's room as "event" and the answer is 202 with the event_id
// (no session count: a Socket.IO room is not counted without fetching its sockets).
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { roomOf } from './user-room.js';

const MaxBodyBytes = 64 * 1024;
const route = /^\/api\/users\/([^/]+)\/events$/;

const sha256 = (text) => createHash('sha256').update(text ?? '', 'utf8').digest();

export function publishRoute(io, apiKey) {
  const expectedKeyHash = sha256(apiKey);
  return (request, response) => {
    const match = route.exec(request.url.split('?', 1)[0]);
    if (request.method !== 'POST' || match === null) {
      response.writeHead(404).end();
      return;
    }
    if (!timingSafeEqual(sha256(request.headers['x-api-key']), expectedKeyHash)) {
      response.writeHead(401).end();
      return;
    }
    const chunks = [];
    let size = 0;
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size > MaxBodyBytes) {
        response.writeHead(413).end();
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      let published = null;
      try {
        published = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        // answered below
      }
      if (published === null || typeof published !== 'object' || Array.isArray(published) || typeof published.type !== 'string') {
        response.writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: 'the body must be a JSON object with a string type' }));
        return;
      }
      const eventId = randomUUID().replaceAll('-', '');
      published.event_id = eventId;
      io.to(roomOf(decodeURIComponent(match[1]))).emit('event', published);
      response.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ event_id: eventId }));
    });
  };
}
