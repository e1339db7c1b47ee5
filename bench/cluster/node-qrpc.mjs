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
let pinger = null;

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
  /**
   * One Redis PING round trip from this process, started from idle like each push sample is (one IPC
   * message per sample, after the same idle gap): a tight loop of PINGs keeps the processes awake and
   * measures less.
   */
  async redisPing({ redisUrl }) {
    if (pinger === null) {
      pinger = createClient({ url: redisUrl });
      await pinger.connect();
    }
    const t0 = process.hrtime.bigint();
    await pinger.ping();
    return { ns: Number(process.hrtime.bigint() - t0) };
  },
  async stop() {
    await pinger?.destroy();
    await server.shutdown({ timeoutMs: 1000 });
    return {};
  },
});
