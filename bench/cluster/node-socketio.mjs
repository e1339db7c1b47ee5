// The contender node: socket.io with @socket.io/redis-adapter over the official redis client.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { now, payloadOf, serveOps } from './ipc.mjs';

let io;
let http;
let clients = [];

serveOps({
  async start({ redisUrl }) {
    const pub = createClient({ url: redisUrl });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    clients = [pub, sub];
    http = createServer();
    io = new Server(http, { transports: ['websocket'], adapter: createAdapter(pub, sub) });
    io.on('connection', (socket) => {
      const room = socket.handshake.auth?.room;
      if (room) socket.join(room);
    });
    await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
    return { port: http.address().port };
  },
  async pushId({ id, seq }) {
    const t = now();
    io.to(id).emit('m', payloadOf(seq));
    return { t };
  },
  async pushAll({ seq }) {
    const t = now();
    io.emit('m', payloadOf(seq));
    return { t };
  },
  async pushRoom({ room, seq }) {
    const t = now();
    io.to(room).emit('m', payloadOf(seq));
    return { t };
  },
  async stop() {
    io.close();
    // close(), not destroy(): the adapter may still have commands in flight.
    await Promise.allSettled(clients.map((c) => c.close()));
    return {};
  },
});
