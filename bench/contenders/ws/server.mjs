// ws: request/response over one WebSocket, binary messages prefixed with an
// 8-byte request id (id 0 = push).
import { WebSocketServer } from 'ws';
import { runServer } from '../../lib/server-runner.mjs';
import { HELLO } from '../../lib/common.mjs';

const HELLO_BUF = Buffer.from(HELLO);
const HL = HELLO_BUF.length;

await runServer({
  async start({ host, port }) {
    const wss = new WebSocketServer({ host, port, backlog: 4096, perMessageDeflate: false, clientTracking: true });
    await new Promise((res, rej) => { wss.once('listening', res); wss.once('error', rej); });
    wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        // data: Buffer = id(8) + payload
        const out = Buffer.allocUnsafe(data.length + HL);
        data.copy(out, 0, 0, 8);
        HELLO_BUF.copy(out, 8);
        data.copy(out, 8 + HL, 8);
        ws.send(out);
      });
      ws.on('error', () => {});
    });
    return {
      port: wss.address().port,
      pushAll(payload) {
        const msg = Buffer.alloc(8 + payload.length); // id 0 = push
        payload.copy(msg, 8);
        let n = 0;
        for (const ws of wss.clients) { ws.send(msg); n++; }
        return n;
      },
      close() { wss.close(); },
    };
  },
});
