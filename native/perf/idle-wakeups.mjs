// Idle wake-ups of a native server: 100 idle connections with readTimeoutMs
// 60000, then the process's voluntary context switches (each one = the loop
// blocked in epoll_wait and was woken) and, when the addon reports it, the
// wheel timer's wake-up count over 2 s. Usage: node native/perf/idle-wakeups.mjs [conns] [seconds]
import net from 'node:net';
import { loadNativeAddon, loadNativeTransport } from '../../dist/transport/native/load.js';
import { DEFAULT_SOCKET_OPTIONS } from '../../dist/transport/types.js';

const conns = Number(process.argv[2] ?? 100);
const seconds = Number(process.argv[3] ?? 2);
const { addon } = loadNativeAddon();
const { transport } = loadNativeTransport();
const o = { ...DEFAULT_SOCKET_OPTIONS, readTimeoutMs: 60000 };
let accepted = 0;
const listener = await transport.listen({ ...o, host: '127.0.0.1', port: 0, backlog: 511, reusePort: false }, (c) => {
  accepted++;
  c.attach({ onFrame() {}, onDrain() {}, onClose() {} });
});
const clients = [];
for (let i = 0; i < conns; i++) clients.push(await new Promise((r) => { const s = net.connect(listener.port, '127.0.0.1', () => r(s)); }));
while (accepted < conns) await new Promise((r) => setImmediate(r));
await new Promise((r) => setTimeout(r, 200));
const s0 = addon.stats();
const r0 = process.resourceUsage();
await new Promise((r) => setTimeout(r, seconds * 1000));
const r1 = process.resourceUsage();
const s1 = addon.stats();
const cs = (r1.voluntaryContextSwitches - r0.voluntaryContextSwitches) / seconds;
const wake = s1.timerWakeups !== undefined ? (s1.timerWakeups - s0.timerWakeups) / seconds : 'n/a';
console.log(`${conns} idle conns: ${cs.toFixed(1)} voluntary context switches/s, timer wake-ups/s ${wake}, timer due in ${s1.timerDueInMs ?? 'n/a'} ms`);
for (const c of clients) c.destroy();
await listener.close();
process.exit(0);
