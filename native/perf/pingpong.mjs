// Diagnostic: one-in-flight ping-pong, qrpc client -> qrpc server (child process), p50/p90.
// QRPC_BACKEND=<client backend> SERVER_BACKEND=<server backend> [taskset -c 0] node native/perf/pingpong.mjs client [N]
// ping-pong: qrpc server (child) + qrpc client; both backends selectable; p50 of sequential calls
import { spawn } from 'node:child_process';
const ROOT = process.env.ROOT || new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const role = process.argv[2];
const lib = await import(ROOT + '/dist/index.js');
if (role === 'server') {
  const { Server, ServeMux } = lib;
  const mux = new ServeMux();
  const HELLO = Buffer.from('hello world ');
  mux.handle(0, (w, req) => { w.startWrite(req.requestId, 1, 0); w.writeBytes(HELLO); w.writeBytes(req.payload); return w.endWrite(); });
  const server = new Server([{ addr: '127.0.0.1:0', handler: mux }]);
  await server.listen();
  process.stdout.write(`${server.address(0).port}\n`);
  process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
} else {
  const N = Number(process.argv[3] || 20000);
  const srv = spawn(process.execPath, [new URL(import.meta.url).pathname, 'server'], { env: { ...process.env, QRPC_BACKEND: process.env.SERVER_BACKEND || 'native' }, stdio: ['pipe', 'pipe', 'inherit'] });
  const port = Number(await new Promise((r) => srv.stdout.once('data', (d) => r(String(d).trim()))));
  const conn = await lib.connect(`127.0.0.1:${port}`);
  const P = Buffer.from('xu');
  for (let i = 0; i < 2000; i++) await conn.call(0, P);
  const t = new Float64Array(N);
  for (let i = 0; i < N; i++) { const t0 = performance.now(); await conn.call(0, P); t[i] = performance.now() - t0; }
  t.sort();
  console.log(`server=${process.env.SERVER_BACKEND || 'native'} client=${lib.backend().name} p50=${(t[N >> 1] * 1000).toFixed(1)}us p90=${(t[Math.floor(N * 0.9)] * 1000).toFixed(1)}us`);
  conn.close(); srv.stdin.end(); setTimeout(() => process.exit(0), 100);
}
