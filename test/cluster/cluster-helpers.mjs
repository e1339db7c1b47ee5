// Servers that form a cluster over one real redis-server, and a login handler: cmd 1 binds the payload as the id.
import { Server, ServeMux, redisBroker } from '../../dist/index.js';
import { RawPeer } from '../helpers.mjs';

export function loginMux(onLogin = () => {}) {
  const mux = new ServeMux();
  mux.handle(1, async (w, req) => {
    await req.connection.setId(req.payload.toString());
    onLogin(req.connection);
    await w.reply(req.requestId, 1, 'in');
  });
  // cmd 2 joins the room named by the payload
  mux.handle(2, async (w, req) => {
    req.connection.server.cluster.join(req.connection, req.payload.toString());
    await w.reply(req.requestId, 2, 'joined');
  });
  return mux;
}

/** A node: a server with one binding on 127.0.0.1:0 and a Redis broker; returns { server, port, addr }. */
export async function startNode(redisUrl, { binding = {}, broker = {}, handler = loginMux() } = {}) {
  const server = new Server([{ addr: '127.0.0.1:0', handler, ...binding }], { broker: redisBroker({ url: redisUrl, ...broker }) });
  await server.listen();
  const { port } = server.address(0);
  return { server, port, addr: `127.0.0.1:${port}` };
}

/** Collects a client's pushes; `next(n)` resolves once n have arrived. */
export function pushCollector() {
  const frames = [];
  const pushIds = []; // the frames' request ids: one encoding per node means one push id per node
  const waiters = [];
  return {
    frames,
    pushIds,
    onPush: (frame) => {
      frames.push({ flags: frame.flags, cmd: frame.cmd, payload: Buffer.from(frame.payload) });
      pushIds.push(frame.requestId);
      for (const w of waiters.splice(0)) w();
    },
    async next(n) {
      while (frames.length < n) await new Promise((resolve) => waiters.push(resolve));
      return frames.slice(0, n);
    },
  };
}

/** A raw peer that sent one request (cmd 1: log in as payload; cmd 2: join room payload) and got its answer. */
export async function rawPeerAfter(port, cmd, payload) {
  const peer = await RawPeer.connect(port);
  peer.sendFrame(1, 0, cmd, payload);
  await peer.waitFrames(1);
  return peer;
}

/** Shuts nodes down, then stops Redis (the end of every cluster test). */
export async function stopCluster(redis, ...nodes) {
  for (const node of nodes) await node.server.shutdown({ timeoutMs: 200 });
  await redis.stop();
}

/** How often Redis ran `command` (lower case, e.g. "evalsha"), from INFO commandstats. */
export async function commandCalls(inspector, command) {
  const line = (await inspector.info('commandstats')).split('\n').find((l) => l.startsWith(`cmdstat_${command}:`));
  return line === undefined ? 0 : Number(/calls=(\d+)/.exec(line)[1]);
}
