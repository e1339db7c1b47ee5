// A client process of the benchmark: `count` connections to one node (qrpc or socket.io), each logged in
// as `${idPrefix}${i}` (qrpc) and in `room`; reports, per push seq, when the last of its clients had it.
import { connect } from '../../dist/index.js';
import { io } from 'socket.io-client';
import { now, seqOf, serveOps } from './ipc.mjs';

const conns = [];
const received = new Map(); // seq -> copies arrived here
const lastAt = new Map(); // seq -> when the latest copy arrived
const waiters = new Map(); // seq -> { expected, resolve }

function got(text) {
  const seq = seqOf(text);
  const t = now();
  const n = (received.get(seq) ?? 0) + 1;
  received.set(seq, n);
  lastAt.set(seq, t);
  const w = waiters.get(seq);
  if (w !== undefined && n >= w.expected) {
    waiters.delete(seq);
    w.resolve(t);
  }
}

async function openQrpc(addr, id, room) {
  const conn = await connect(addr, { onPush: (f) => got(f.payload.toString()) });
  await conn.call(1, id);
  if (room) await conn.call(2, room);
  conns.push({ close: () => conn.close() });
  return null;
}

function openSocketIo(port, room) {
  return new Promise((resolve, reject) => {
    const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], auth: { room }, reconnection: false, forceNew: true });
    socket.on('m', got);
    socket.once('connect', () => {
      conns.push({ close: () => socket.close() });
      resolve(socket.id);
    });
    socket.once('connect_error', reject);
  });
}

serveOps({
  async open({ contender, port, count, idPrefix, room }) {
    const ids = [];
    for (let i = 0; i < count; i += 200) {
      const batch = [];
      for (let j = i; j < Math.min(count, i + 200); j++) {
        batch.push(contender === 'qrpc' ? openQrpc(`127.0.0.1:${port}`, `${idPrefix}${j}`, room).then(() => `${idPrefix}${j}`) : openSocketIo(port, room));
      }
      ids.push(...(await Promise.all(batch)));
    }
    return { ids };
  },
  /** When the `expected`-th copy of push `seq` arrived here (waits for it if it has not yet). */
  async arrived({ seq, expected }) {
    if ((received.get(seq) ?? 0) >= expected) return { t: lastAt.get(seq) };
    return { t: await new Promise((resolve) => waiters.set(seq, { expected, resolve })) };
  },
  async close() {
    for (const c of conns) c.close();
    return {};
  },
});
