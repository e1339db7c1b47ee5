// grpc-js client: one channel (own subchannel, so its own TCP connection) per connection.
import { runClient } from '../../lib/client-runner.mjs';
import { REQ_PAYLOAD } from '../../lib/common.mjs';
import { Greeter, grpc } from './proto.mjs';

const creds = grpc.credentials.createInsecure();
const REQ = { name: REQ_PAYLOAD };

await runClient({
  connect(port, { onPush, fanout }) {
    return new Promise((resolve, reject) => {
      const client = new Greeter(`127.0.0.1:${port}`, creds, { 'grpc.use_local_subchannel_pool': 1 });
      client.waitForReady(Date.now() + 30000, (err) => {
        if (err) return reject(err);
        const conn = {
          call() {
            return new Promise((res, rej) => client.SayHello(REQ, (e, r) => (e ? rej(e) : res(r.message))));
          },
          close() { client.close(); },
        };
        if (!fanout) return resolve(conn);
        const stream = client.Subscribe({});
        let first = true;
        stream.on('data', (m) => {
          if (first) { first = false; resolve(conn); return; }
          onPush(m.data);
        });
        stream.on('error', (e) => { if (first) reject(e); });
      });
    });
  },
});
