// qrpc-native / qrpc-fallback client: this library's connect()/call(), backend forced by QRPC_BACKEND.
// qrpc-tls: the same over TLS, trusting the CA in QRPC_BENCH_TLS (made by the harness).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runClient } from '../../lib/client-runner.mjs';
import { REQ_PAYLOAD, CMD_HELLO } from '../../lib/common.mjs';

const PAYLOAD = Buffer.from(REQ_PAYLOAD);
const lib = await import('../../../dist/index.js');
const { connect, backend } = lib;
if (typeof connect !== 'function') throw new Error('dist/index.js does not export connect yet');
const want = process.env.QRPC_BACKEND;
const got = backend().name;
if (want && got !== want) throw new Error(`wanted backend ${want}, got ${got}`);

const dir = process.env.QRPC_BENCH_TLS;
const tls = dir ? { tls: { ca: readFileSync(join(dir, 'ca.crt')) } } : {};

await runClient({
  async connect(port, { onPush }) {
    const address = process.env.QRPC_BENCH_OVERLAY === 'ws' ? `ws://127.0.0.1:${port}/qrpc` : `127.0.0.1:${port}`;
    const conn = await connect(address, { ...tls, ...(onPush ? { onPush: (frame) => onPush(frame.payload) } : {}) });
    return {
      call: () => conn.call(CMD_HELLO, PAYLOAD).then((f) => f.payload),
      close: () => conn.close(),
    };
  },
});
