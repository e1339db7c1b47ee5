// node-net client: a promise per call in a Map keyed by request id, the
// requests of one tick encoded into one buffer and written once, batch parse
// per 'data' chunk.
import net from 'node:net';
import { runClient } from '../../lib/client-runner.mjs';
import { REQ_PAYLOAD, FLAG_NB, FLAG_PUSH, CMD_HELLO, MAX_FRAME } from '../../lib/common.mjs';

const PAYLOAD = Buffer.from(REQ_PAYLOAD);
const WORD = ((FLAG_NB << 24) | CMD_HELLO) >>> 0;
const TWO32 = 2 ** 32;

class Conn {
  constructor(sock, onPush) {
    this.sock = sock;
    this.onPush = onPush;
    this.pending = new Map();
    this.nextId = 1;
    this.queue = [];       // payloads waiting for this tick's write
    this.queueBytes = 0;
    this.ids = [];
    this.scheduled = false;
    this.tail = null;
    this.flush = this.flush.bind(this);
    sock.on('data', (c) => this.onData(c));
    sock.on('error', (e) => this.failAll(e));
    sock.on('close', () => this.failAll(new Error('connection closed')));
  }

  call(payload = PAYLOAD) {
    const id = (this.nextId += 2);
    this.queue.push(payload);
    this.ids.push(id);
    this.queueBytes += 16 + payload.length;
    if (!this.scheduled) { this.scheduled = true; process.nextTick(this.flush); }
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  flush() {
    this.scheduled = false;
    const q = this.queue, ids = this.ids;
    const buf = Buffer.allocUnsafe(this.queueBytes);
    let w = 0;
    for (let i = 0; i < q.length; i++) {
      const p = q[i], id = ids[i];
      buf.writeUInt32BE(12 + p.length, w);
      buf.writeUInt32BE(Math.floor(id / TWO32), w + 4);
      buf.writeUInt32BE(id >>> 0, w + 8);
      buf.writeUInt32BE(WORD, w + 12);
      p.copy(buf, w + 16);
      w += 16 + p.length;
    }
    this.queue = []; this.ids = []; this.queueBytes = 0;
    this.sock.write(buf);
  }

  onData(chunk) {
    if (this.tail !== null) { chunk = Buffer.concat([this.tail, chunk]); this.tail = null; }
    const end = chunk.length;
    let off = 0;
    while (end - off >= 16) {
      const len = chunk.readUInt32BE(off);
      if (len < 12 || len > MAX_FRAME) { this.sock.destroy(new Error('bad frame')); return; }
      if (end - off < 4 + len) break;
      const id = chunk.readUInt32BE(off + 4) * TWO32 + chunk.readUInt32BE(off + 8);
      const flags = chunk[off + 12];
      const payload = chunk.subarray(off + 16, off + 4 + len);
      off += 4 + len;
      if (flags & FLAG_PUSH) { this.onPush?.(payload); continue; }
      const p = this.pending.get(id);
      if (p !== undefined) { this.pending.delete(id); p.resolve(payload); }
    }
    if (off < end) this.tail = chunk.subarray(off);
  }

  failAll(e) {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  close() { this.sock.destroy(); }
}

await runClient({
  connect(port, { onPush }) {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: '127.0.0.1', port, noDelay: true }, () => {
        sock.off('error', reject);
        resolve(new Conn(sock, onPush));
      });
      sock.once('error', reject);
    });
  },
});
