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
