// qrpc-native / qrpc-fallback / qrpc-ws server: this library, backend forced by QRPC_BACKEND (QRPC_BENCH_OVERLAY=ws: the WebSocket overlay).
// qrpc-tls: the same over TLS, with the certificates in QRPC_BENCH_TLS (made by the harness).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runServer } from '../../lib/server-runner.mjs';
import { CMD_PUSH } from '../../lib/common.mjs';
import { helloMux } from '../../lib/qrpc-hello.mjs';
const lib = await import('../../../dist/index.js');
const { Server, ServeMux, backend } = lib;
if (typeof Server !== 'function') throw new Error('dist/index.js does not export Server yet');
const want = process.env.QRPC_BACKEND;
const got = backend().name;
if (want && got !== want) throw new Error(`wanted backend ${want}, got ${got}`);

await runServer({
  async start({ host, port }) {
    const mux = helloMux(ServeMux);
    const dir = process.env.QRPC_BENCH_TLS;
    const tls = dir ? { tls: { cert: readFileSync(join(dir, 'server.crt')), key: readFileSync(join(dir, 'server.key')) } } : {};
    const overlay = process.env.QRPC_BENCH_OVERLAY ? { overlay: process.env.QRPC_BENCH_OVERLAY } : {};
    const server = new Server([{ addr: `${host}:${port}`, handler: mux, ...tls, ...overlay }]);
    await server.listen();
    return {
      port: server.address(0).port,
      pushAll(payload) { return server.pushAll(0, CMD_PUSH, payload); },
      close() { return server.shutdown({ timeoutMs: 1000 }); },
    };
  },
});
