// Runs a contender's server adapter under the harness's line protocol.
//
//   stdout: "ready <port>"                    once listening
//           "gc-done"                         after "gc" (forced GC when --expose-gc)
//           "pushed <count> <t0Us> <cpuUs>"   after "push" (64-byte push to every connection;
//                                             cpuUs = CPU of the synchronous pushAll call)
//           "cpu <us>"                        after "cpu": process CPU since the push started
//                                             (covers writes a library defers past the call)
//           "error <message>"                 when something failed
//   stdin:  "gc" | "push" | "cpu" | "stop"; EOF also stops the server.
//
// Adapter: { async start({ host, port }) -> { port, pushAll(buf) -> count, close() } }
import { PUSH_PAYLOAD, wallUs, lifetime, onStdinLines, out } from './common.mjs';

export async function runServer(adapter) {
  lifetime(Number(process.env.BENCH_LIFETIME_MS || 600_000));
  process.on('uncaughtException', (e) => {
    out(`error ${String(e && e.stack || e).split('\n')[0]}`);
    process.exit(2);
  });
  const srv = await adapter.start({ host: '127.0.0.1', port: 0 });
  const stop = () => {
    try { srv.close?.(); } catch {}
    process.exit(0);
  };
  let pushCpu0 = null;
  onStdinLines(async (line) => {
    if (line === 'gc') {
      if (typeof globalThis.gc === 'function') {
        for (let i = 0; i < 3; i++) {
          globalThis.gc();
          await new Promise((r) => setImmediate(r));
        }
      }
      out('gc-done');
    } else if (line === 'push') {
      const cpu0 = (pushCpu0 = process.cpuUsage());
      const t0 = wallUs();
      let count = srv.pushAll(PUSH_PAYLOAD);
      const cpu = process.cpuUsage(cpu0);
      if (count && typeof count.then === 'function') count = await count;
      out(`pushed ${count} ${Math.round(t0)} ${cpu.user + cpu.system}`);
    } else if (line === 'cpu') {
      const cpu = process.cpuUsage(pushCpu0 ?? undefined);
      out(`cpu ${cpu.user + cpu.system}`);
    } else if (line === 'stop') {
      stop();
    }
  }, stop);
  out(`ready ${srv.port}`);
}
