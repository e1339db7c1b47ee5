// One echo server and one client in this process, for the micro benchmarks: run(n) makes n calls with
// `window` of them in flight (16-byte payloads).
export async function startEchoPair(q, { serverHooks, clientHooks, window }) {
  const mux = new q.ServeMux();
  mux.handle(0, (w, req) => w.reply(req.requestId, 1, req.payload));
  const server = new q.Server([{ addr: '127.0.0.1:0', handler: mux, ...(serverHooks ? { metrics: serverHooks } : {}) }]);
  await server.listen();
  const conn = await q.connect(`127.0.0.1:${server.address(0).port}`, clientHooks ? { metrics: clientHooks } : {});
  const payload = Buffer.from('0123456789abcdef');
  const run = (n) =>
    new Promise((resolve, reject) => {
      let sent = 0;
      let done = 0;
      const onAnswer = () => {
        if (++done === n) resolve();
        else if (sent < n) send();
      };
      const send = () => {
        sent++;
        conn.call(0, payload).then(onAnswer, reject);
      };
      for (let i = 0; i < Math.min(window, n); i++) send();
    });
  const close = async () => {
    await conn.close();
    await server.shutdown({ timeoutMs: 500 });
  };
  return { run, close };
}

/**
 * Warms every cell up, then runs `rounds` rounds of one batch per cell, the order rotating each round so
 * a shared machine's load falls on every cell alike. Records each batch's rate in c.rates, time in c.ns.
 */
export async function interleave(cells, rounds, batch) {
  for (const c of cells) await c.run(batch);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < cells.length; i++) {
      const c = cells[(i + r) % cells.length];
      const t0 = process.hrtime.bigint();
      await c.run(batch);
      const ns = Number(process.hrtime.bigint() - t0);
      c.ns = (c.ns ?? 0) + ns;
      c.rates.push(batch / (ns / 1e9));
    }
  }
}
