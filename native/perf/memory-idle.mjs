// Diagnostic (native/README.md "Performance work"): server RSS / V8 heap / malloc per idle connection.
// node --expose-gc native/perf/memory-idle.mjs [N]   (ROOT=<tree> to measure another build; SNAP=file for a heap snapshot)
// diagnostic: native server, memory breakdown per connection
import { spawn } from 'node:child_process';
import fs from 'node:fs';
process.env.QRPC_BACKEND ??= 'native';
const lib = await import((process.env.ROOT || new URL('../..', import.meta.url).pathname.replace(/\/$/, '')) + '/dist/index.js');
const { Server, ServeMux, backend } = lib;
const N = Number(process.argv[2] || 10000);
const mux = new ServeMux();
const HELLO = Buffer.from('hello world ');
mux.handle(0, (w, req) => { w.startWrite(req.requestId, 1, 0); w.writeBytes(HELLO); w.writeBytes(req.payload); return w.endWrite(); });
const server = new Server([{ addr: '127.0.0.1:0', handler: mux }]);
await server.listen();
const port = server.address(0).port;
const smaps = () => { const t = fs.readFileSync('/proc/self/smaps', 'utf8'); const out = { heap: 0, anon: 0, other: 0 }; let cur = 'other';
  for (const line of t.split('\n')) { const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line); if (m) { cur = m[1] === '[heap]' ? 'heap' : m[1] === '' ? 'anon' : 'other'; continue; } const r = /^Rss:\s+(\d+)/.exec(line); if (r) out[cur] += Number(r[1]) * 1024; } return out; };
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
async function gc() { for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); } }
await new Promise((r) => setTimeout(r, 300));
await gc();
const v8m = await import('node:v8'); const sp = () => Object.fromEntries(v8m.getHeapSpaceStatistics().map((x) => [x.space_name, [x.space_size, x.space_used_size, x.physical_space_size]])); const h0 = sp();
const m0 = process.memoryUsage(); const r0 = rss(); const s0 = smaps();
const procs = [];
const per = [Math.ceil(N / 2), Math.floor(N / 2)];
await Promise.all(per.map((conns) => new Promise((resolve, reject) => {
  const cfg = { port, conns, scenario: 'memory-idle-10k' };
  const p = spawn(process.execPath, [new URL('../../bench/contenders/qrpc/client.mjs', import.meta.url).pathname], { env: { ...process.env, QRPC_BACKEND: process.env.CLIENT_BACKEND || 'native', BENCH_CFG: JSON.stringify(cfg), BENCH_LIFETIME_MS: '120000' }, stdio: ['pipe', 'pipe', 'inherit'] });
  procs.push(p);
  p.stdout.on('data', (d) => { if (String(d).includes('connected')) resolve(); if (String(d).includes('error')) reject(new Error(String(d))); });
})));
await new Promise((r) => setTimeout(r, 1000));
await gc();
const m1 = process.memoryUsage(); const r1 = rss(); const s1 = smaps();
const f = (k) => ((m1[k] - m0[k]) / N).toFixed(0);
console.log(JSON.stringify({ backend: backend().name, N, rssPerConn: ((r1 - r0) / N).toFixed(0), heapUsed: f('heapUsed'), heapTotal: f('heapTotal'), external: f('external'), arrayBuffers: f('arrayBuffers'), brkHeap: ((s1.heap-s0.heap)/N).toFixed(0), anon: ((s1.anon-s0.anon)/N).toFixed(0), other: ((s1.other-s0.other)/N).toFixed(0) }));
const h1 = sp(); for (const k in h1) console.log(k.padEnd(28), ['size','used','phys'].map((n,j)=>n+' '+((h1[k][j]-h0[k][j])/N).toFixed(0).padStart(6)).join('  '));
if (process.env.SNAP) { const v8 = await import('node:v8'); v8.writeHeapSnapshot(process.env.SNAP); }
for (const p of procs) p.kill();
process.exit(0);
