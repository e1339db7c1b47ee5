// A qrpc node of the benchmark: a server with the Redis broker; cmd 1 logs in (setId), cmd 2 joins a room.
import { Server, ServeMux, redisBroker } from '../../dist/index.js';
import { createClient } from 'redis';
import { now, payloadOf, serveOps } from './ipc.mjs';

const mux = new ServeMux();
mux.handle(1, async (w, req) => {
  await req.connection.setId(req.payload.toString());
  await w.reply(req.requestId, 1, 'in');
});
mux.handle(2, async (w, req) => {
  server.cluster.join(req.connection, req.payload.toString());
  await w.reply(req.requestId, 2, 'in');
});
let server;

serveOps({
  async start({ redisUrl }) {
    server = new Server([{ addr: '127.0.0.1:0', handler: mux }], { broker: redisBroker({ url: redisUrl }) });
    await server.listen();
    return { port: server.address(0).port };
  },
  async pushId({ id, seq }) {
    const t = now();
    const r = await server.cluster.pushToIds(0, [id], 7, payloadOf(seq));
    if (r.delivered.length !== 1) throw new Error(`push not delivered: ${JSON.stringify(r)}`);
    return { t };
  },
  async localPushId({ id, seq }) {
    const t = now();
    if (server.pushToIds(0, [id], 7, payloadOf(seq)) !== 1) throw new Error('local push not delivered');
    return { t };
  },
  async pushAll({ seq }) {
    const t = now();
    const r = await server.cluster.pushAll(0, 7, payloadOf(seq));
    return { t, connections: r.connections };
  },
  async pushRoom({ room, seq }) {
    const t = now();
    const r = await server.cluster.pushToRoom(0, room, 7, payloadOf(seq));
    return { t, connections: r.connections };
  },
  /** Round trips of one Redis PING from this process: the floor of any cross-node hop. */
  async redisPing({ redisUrl, count }) {
    const client = createClient({ url: redisUrl });
    await client.connect();
    const samples = [];
    for (let i = 0; i < count; i++) {
      const t0 = process.hrtime.bigint();
      await client.ping();
      samples.push(Number(process.hrtime.bigint() - t0));
    }
    await client.destroy();
    return { samples };
  },
  async stop() {
    await server.shutdown({ timeoutMs: 1000 });
    return {};
  },
});
