// Helpers of test/cluster/integration-*: a serveWorkers pool of real worker processes whose
// servers use the machine broker, clients placed on a chosen worker, and the admin port that makes
// a worker call server.cluster.
import { connect, serveWorkers } from '../../dist/index.js';
import { RawPeer } from '../helpers.mjs';
import { pushCollector } from './cluster-helpers.mjs';

const module = new URL('./fixtures/integration-worker.mjs', import.meta.url);

/** A pool of `workers` processes; `admin(slot, cmd, arg)` asks worker `slot` to run a server.cluster call. */
export async function startPool(workers = 2, options = {}) {
  const pool = await serveWorkers({ workers, module, ...options });
  const port = pool.ports[0];
  const adminConns = new Map();
  const who = new Map(); // slot -> { slot, pid, nodeId, adminPort }
  const opened = [];

  /** A client (connect(), pushes collected) served by worker `slot`: dials the shared port until the kernel / node:cluster hands it there. */
  async function clientOn(slot) {
    for (let tries = 0; tries < 200; tries++) {
      const pushes = pushCollector();
      const conn = await connect(`127.0.0.1:${port}`, { onPush: pushes.onPush });
      const me = JSON.parse((await conn.call(3, '')).payload.toString());
      who.set(me.slot, me);
      if (me.slot === slot) {
        opened.push(conn);
        return { conn, pushes, ...me };
      }
      await conn.close();
    }
    throw new Error(`no connection reached worker ${slot} in 200 tries`);
  }

  /** A RawPeer served by worker `slot` (its first frame, the who-am-I answer, is already read). */
  async function rawPeerOn(slot) {
    for (let tries = 0; tries < 200; tries++) {
      const peer = await RawPeer.connect(port);
      peer.sendFrame(1, 0, 3, '');
      const [answer] = await peer.waitFrames(1);
      const me = JSON.parse(answer.payload.toString());
      who.set(me.slot, me);
      if (me.slot === slot) {
        peer.frames.length = 0;
        peer.bytes.length = 0;
        opened.push({ close: async () => peer.destroy() });
        return peer;
      }
      peer.destroy();
    }
    throw new Error(`no raw peer reached worker ${slot} in 200 tries`);
  }

  /** A RawPeer on worker `slot` logged in as `id` (cmd 1; its answer is frame 0). */
  async function rawLoginOn(slot, id) {
    const peer = await rawPeerOn(slot);
    peer.sendFrame(2, 0, 1, id);
    await peer.waitFrames(1);
    return peer;
  }

  async function whoIs(slot) {
    if (!who.has(slot)) await (await clientOn(slot)).conn.close();
    return who.get(slot);
  }

  async function admin(slot, cmd, arg = {}) {
    const { adminPort } = await whoIs(slot);
    let conn = adminConns.get(slot);
    if (conn === undefined || conn.isClosed) {
      conn = await connect(`127.0.0.1:${adminPort}`);
      adminConns.set(slot, conn);
    }
    return JSON.parse((await conn.call(cmd, JSON.stringify(arg))).payload.toString());
  }

  /** Asks worker `slot` to crash and resolves with the pool's exit event. */
  async function crash(slot) {
    const { adminPort } = await whoIs(slot);
    const conn = adminConns.get(slot) ?? (await connect(`127.0.0.1:${adminPort}`));
    adminConns.delete(slot);
    const exited = new Promise((resolve) => pool.once('exit', resolve));
    await conn.call(9, '');
    const exit = await exited;
    await conn.close();
    who.delete(slot);
    return exit;
  }

  async function stop() {
    for (const c of [...opened, ...adminConns.values()]) await c.close().catch(() => {});
    await pool.stop({ timeoutMs: 2_000 });
  }

  return { pool, clientOn, rawPeerOn, rawLoginOn, whoIs, admin, crash, stop };
}
