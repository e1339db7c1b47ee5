// What the multi-endpoint Api adds per call over a plain Connection, in one process and one run:
// N concurrent NB calls per round through conn.call, api.call (weighted) and api.call({ key }), one server.
// Usage: node bench/api-overhead.mjs [calls=20000] [rounds=6]. Compare columns within a run only.
import { Api, Server, ServeMux, connect } from '../dist/index.js';

const calls = Number(process.argv[2] ?? 20000);
const rounds = Number(process.argv[3] ?? 6);
const server = new Server([{ addr: '127.0.0.1:0', handler: new ServeMux().handleCall(1, () => 'ok') }]);
await server.listen();
const addr = `127.0.0.1:${server.address(0).port}`;
const conn = await connect(addr);
const api = new Api([addr]);
await api.ready();
const keys = Array.from({ length: calls }, (_, i) => `user-${i}`);
const time = async (fn) => {
  const t = performance.now();
  await Promise.all(keys.map(fn));
  return (performance.now() - t).toFixed(0);
};
for (let r = 0; r < rounds; r++) {
  const direct = await time(() => conn.call(1, 'x'));
  const weighted = await time(() => api.call(1, 'x'));
  const keyed = await time((key) => api.call(1, 'x', { key }));
  console.log(`round ${r}: ${calls} calls in ms: conn.call ${direct}, api.call ${weighted}, api.call({ key }) ${keyed}`);
}
await conn.close();
await api.close();
await server.shutdown({ timeoutMs: 500 });
