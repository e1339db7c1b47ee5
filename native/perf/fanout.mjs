// Diagnostic: time and CPU per recipient of Server.pushAll to N idle net clients (2 processes).
// node native/perf/fanout.mjs [N] [pushes]
import { spawn } from 'node:child_process';
process.env.QRPC_BACKEND ??= 'native';
const { Server, ServeMux, backend } = await import((process.env.ROOT || new URL('../..', import.meta.url).pathname.replace(/\/$/, '')) + '/dist/index.js');
const N = Number(process.argv[2] || 10000), PUSHES = Number(process.argv[3] || 20);
const mux = new ServeMux();
mux.handle(0, (w, req) => { w.startWrite(req.requestId, 1, 0); w.writeBytes(req.payload); return w.endWrite(); });
const server = new Server([{ addr: '127.0.0.1:0', handler: mux }]);
await server.listen();
const port = server.address(0).port;
const procs = [];
await Promise.all([Math.ceil(N / 2), Math.floor(N / 2)].map((conns) => new Promise((resolve) => {
  const p = spawn(process.execPath, [new URL('fanout-client.mjs', import.meta.url).pathname, port, conns], { stdio: ['pipe', 'pipe', 'inherit'] });
  procs.push(p);
  p.stdout.once('data', resolve);
})));
while (server.stats(0).connections < N) await new Promise((r) => setTimeout(r, 50));
const payload = Buffer.alloc(64, 7);
const res = [];
if (process.env.PERF_WAIT) { console.error('pid', process.pid); await new Promise((r) => setTimeout(r, Number(process.env.PERF_WAIT))); }
for (let i = 0; i < PUSHES; i++) {
  await new Promise((r) => setTimeout(r, 100));
  const c0 = process.cpuUsage(); const t0 = process.hrtime.bigint();
  const n = server.pushAll(0, 5, payload);
  const t1 = process.hrtime.bigint(); const c = process.cpuUsage(c0);
  res.push([Number(t1 - t0) / 1e6, (c.user + c.system) / n, c.user / n]);
}
const med = (k) => res.map((r) => r[k]).sort((a, b) => a - b)[res.length >> 1];
console.log(JSON.stringify({ backend: backend().name, N, callMs: med(0).toFixed(2), cpuUsPerRecipient: med(1).toFixed(2), userUsPerRecipient: med(2).toFixed(2) }));
for (const p of procs) p.kill();
process.exit(0);
