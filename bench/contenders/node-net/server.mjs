// node-net: hand-written qrpc framing on node:net.
// Batch parse per 'data' chunk (all complete frames, partial tail kept), the
// replies of one chunk encoded into one buffer and written once.
import net from 'node:net';
import { runServer } from '../../lib/server-runner.mjs';
import { HELLO, CMD_REPLY, CMD_PUSH, FLAG_PUSH, MAX_FRAME } from '../../lib/common.mjs';

const HELLO_BUF = Buffer.from(HELLO);
const HL = HELLO_BUF.length;
const REPLY_WORD = CMD_REPLY; // flags 0, cmd 1

function onConnection(sock) {
  let tail = null;
  sock.on('data', (chunk) => {
    if (tail !== null) { chunk = Buffer.concat([tail, chunk]); tail = null; }
    const end = chunk.length;
    // every reply is its request + HL bytes; a frame is at least 16 bytes
    const out = Buffer.allocUnsafe(end + ((end >>> 4) + 1) * HL);
    let off = 0, w = 0;
    while (end - off >= 16) {
      const len = chunk.readUInt32BE(off);
      if (len < 12 || len > MAX_FRAME) { sock.destroy(); return; }
      if (end - off < 4 + len) break;
      const plen = len - 12;
      out.writeUInt32BE(len + HL, w);
      chunk.copy(out, w + 4, off + 4, off + 12);          // same request id
      out.writeUInt32BE(REPLY_WORD, w + 12);
      HELLO_BUF.copy(out, w + 16);
      chunk.copy(out, w + 16 + HL, off + 16, off + 16 + plen);
      w += 16 + HL + plen;
      off += 4 + len;
    }
    if (off < end) tail = chunk.subarray(off);
    if (w > 0) sock.write(out.subarray(0, w));
  });
  sock.on('error', () => {});
}

let pushId = 0;
await runServer({
  async start({ host, port }) {
    const socks = new Set();
    const server = net.createServer({ noDelay: true }, (sock) => {
      socks.add(sock);
      sock.on('close', () => socks.delete(sock));
      onConnection(sock);
    });
    await new Promise((res, rej) => {
      server.once('error', rej);
      server.listen({ host, port, backlog: 4096 }, res);
    });
    return {
      port: server.address().port,
      pushAll(payload) {
        // encode once, write the same frame to every connection
        const f = Buffer.allocUnsafe(16 + payload.length);
        f.writeUInt32BE(12 + payload.length, 0);
        f.writeUInt32BE(0, 4);
        f.writeUInt32BE(++pushId, 8);
        f.writeUInt32BE(((FLAG_PUSH << 24) | CMD_PUSH) >>> 0, 12);
        payload.copy(f, 16);
        for (const s of socks) s.write(f);
        return socks.size;
      },
      close() { server.close(); },
    };
  },
});
