// Echo throughput by payload size, one process (native client and server), median of 3:
// node native/perf/payload-sizes.mjs [tree root, default: this tree] — compare two trees' dist/ builds.
const root = process.argv[2] ?? new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const { loadNativeTransport } = await import(root + '/dist/transport/native/load.js');
const { DEFAULT_SOCKET_OPTIONS } = await import(root + '/dist/transport/types.js');
const { transport: t } = loadNativeTransport();
const o = { ...DEFAULT_SOCKET_OPTIONS };
const l = await t.listen({ ...o, host: '127.0.0.1', port: 0, backlog: 511, reusePort: false }, (c) => {
  c.attach({ onFrame(hi, lo, f, cmd, p) { c.writeFrame(1n, f, cmd, p); }, onDrain() {}, onClose() {} });
});
const c = await t.connect({ ...o, host: '127.0.0.1', port: l.port, connectTimeoutMs: 5000 });
let got = 0, resolve;
c.attach({ onFrame() { got++; if (got % 100 === 0 && resolve) resolve(); }, onDrain() {}, onClose() {} });
const out = [];
for (const size of [100, 3000, 8000, 20000]) {
  const p = Buffer.alloc(size, 1);
  const N = size >= 8000 ? 40000 : 100000;
  const run = async () => {
    got = 0;
    const t0 = process.hrtime.bigint();
    let sent = 0;
    while (got < N) {
      while (sent - got < 200 && sent < N) { c.writeFrame(1n, 0, 1, p); sent++; }
      await new Promise((r) => (resolve = r));
    }
    return Number(N) / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  await run();
  const rs = [await run(), await run(), await run()].sort((a, b) => a - b);
  out.push(`${size}B ${Math.round(rs[1])}/s`);
}
console.log(root.split('/').slice(-1)[0], out.join('  '));
process.exit(0);
