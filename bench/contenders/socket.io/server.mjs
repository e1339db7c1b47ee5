// socket.io: emitWithAck request/response, websocket transport only.
import http from 'node:http';
import { Server } from 'socket.io';
import { runServer } from '../../lib/server-runner.mjs';
import { HELLO } from '../../lib/common.mjs';

await runServer({
  async start({ host, port }) {
    const httpServer = http.createServer();
    const io = new Server(httpServer, { transports: ['websocket'], serveClient: false, perMessageDeflate: false });
    io.on('connection', (socket) => {
      socket.on('hello', (msg, ack) => ack(HELLO + msg));
    });
    await new Promise((res, rej) => {
      httpServer.once('error', rej);
      httpServer.listen({ host, port, backlog: 4096 }, res);
    });
    return {
      port: httpServer.address().port,
      pushAll(payload) {
        // a 64-character string: socket.io sends a Buffer as a placeholder
        // packet plus a binary attachment (two frames), a string as one.
        io.emit('push', payload.toString('latin1'));
        return io.engine.clientsCount;
      },
      close() { io.close(); },
    };
  },
});
