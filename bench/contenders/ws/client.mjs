// ws client: one WebSocket per connection, 8-byte id prefix, a promise per call in a Map.
import WebSocket from 'ws';
import { runClient } from '../../lib/client-runner.mjs';
import { REQ_PAYLOAD } from '../../lib/common.mjs';

const PAYLOAD = Buffer.from(REQ_PAYLOAD);
const TWO32 = 2 ** 32;

await runClient({
  connect(port, { onPush }) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
      const pending = new Map();
      let nextId = 1;
      ws.on('message', (data) => {
        const id = data.readUInt32BE(0) * TWO32 + data.readUInt32BE(4);
        if (id === 0) { onPush?.(data.subarray(8)); return; }
        const p = pending.get(id);
        if (p !== undefined) { pending.delete(id); p.resolve(data.subarray(8)); }
      });
      ws.once('error', reject);
      ws.on('close', () => { for (const p of pending.values()) p.reject(new Error('closed')); pending.clear(); });
      ws.once('open', () => {
        ws.off('error', reject);
        ws.on('error', () => {});
        resolve({
          call() {
            const id = (nextId += 2);
            const msg = Buffer.allocUnsafe(8 + PAYLOAD.length);
            msg.writeUInt32BE(Math.floor(id / TWO32), 0);
            msg.writeUInt32BE(id >>> 0, 4);
            PAYLOAD.copy(msg, 8);
            ws.send(msg);
            return new Promise((res, rej) => pending.set(id, { resolve: res, reject: rej }));
          },
          close() { ws.terminate(); },
        });
      });
    });
  },
});
