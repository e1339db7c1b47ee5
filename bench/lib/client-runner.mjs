// Runs a contender's client adapter for one scenario under the harness's line protocol.
//
// Config comes in env BENCH_CFG (JSON): { port, scenario, conns, requests,
// inflight, warmup, durationMs, connectConcurrency }.
//
//   stdout: "connected <n>"     all connections up (and, for the N-connection
//                               scenarios, each has completed one request)
//           "result <json>"     the measurement
//           "error <message>"
//   stdin:  "go" starts the measured phase; EOF or "stop" exits.
//
// Adapter: { async connect(port, { onPush, fanout }) -> conn }
//   conn.call() -> Promise<Buffer|string>  sends "xu", resolves with the answer
//   conn.close()
import { performance } from 'node:perf_hooks';
import { checkReply, percentile, wallUs, lifetime, onStdinLines, out, PUSH_SIZE } from './common.mjs';

export async function runClient(adapter) {
  lifetime(Number(process.env.BENCH_LIFETIME_MS || 600_000));
  const fail = (e) => {
    out(`error ${String(e && e.stack || e).split('\n')[0]}`);
    process.exit(2);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  const cfg = JSON.parse(process.env.BENCH_CFG);
  const n = cfg.conns || 1;

  let goResolve;
  const go = new Promise((r) => (goResolve = r));
  onStdinLines((line) => {
    if (line === 'go') goResolve();
    else if (line === 'stop') process.exit(0);
  }, () => process.exit(0));

  // fanout bookkeeping
  let received = 0, firstUs = Infinity, lastUs = 0, badPush = 0;
  let pushDone;
  const allPushed = new Promise((r) => (pushDone = r));
  const onPush = (payload) => {
    const t = wallUs();
    const len = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    if (len !== PUSH_SIZE) badPush++;
    received++;
    if (t < firstUs) firstUs = t;
    if (t > lastUs) lastUs = t;
    if (received === n) pushDone();
  };

  // connect with bounded concurrency so the accept backlog never overflows
  const conns = new Array(n);
  let next = 0;
  const conc = Math.min(n, cfg.connectConcurrency || 100);
  const many = n > 1;
  await Promise.all(Array.from({ length: conc }, async () => {
    while (next < n) {
      const i = next++;
      const c = await adapter.connect(cfg.port, { onPush, fanout: cfg.scenario.startsWith('fanout') });
      if (many) {
        const r = await c.call();
        if (!checkReply(r)) throw new Error(`bad answer ${String(r)}`);
      }
      conns[i] = c;
    }
  }));
  out(`connected ${n}`);

  const sc = cfg.scenario;
  if (sc.startsWith('memory')) {
    return; // stay idle until stdin closes
  }
  if (sc.startsWith('fanout')) {
    await allPushed;
    out(`result ${JSON.stringify({ received, firstUs: Math.round(firstUs), lastUs: Math.round(lastUs), badPush })}`);
    process.exit(0);
  }
  await go;
  let result;
  if (sc.startsWith('throughput')) {
    const c = conns[0];
    const pipeline = async (total, maxMs = 0) => {
      let sent = 0, errors = 0, stop = false;
      // A timer, not a clock read per request: performance.now() per call cost the client ~6 % of its CPU.
      const timer = maxMs > 0 ? setTimeout(() => { stop = true; }, maxMs) : null;
      const worker = async () => {
        while (sent < total && !stop) {
          sent++;
          if (!checkReply(await c.call())) errors++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(cfg.inflight, total) }, worker));
      if (timer !== null) clearTimeout(timer);
      return errors;
    };
    // Warm-up: `warmup` requests, cut short after `warmupMs` (slow contenders get the same time, not the same count).
    await pipeline(cfg.warmup || 0, cfg.warmupMs || 0);
    const t0 = performance.now();
    const errors = await pipeline(cfg.requests);
    const ms = performance.now() - t0;
    result = { value: cfg.requests / (ms / 1000), count: cfg.requests, ms, errors };
  } else if (sc.startsWith('latency')) {
    const c = conns[0];
    let errors = 0;
    for (let i = 0; i < (cfg.warmup || 0); i++) if (!checkReply(await c.call())) errors++;
    const lat = new Float64Array(cfg.requests);
    for (let i = 0; i < cfg.requests; i++) {
      const t = performance.now();
      const r = await c.call();
      lat[i] = (performance.now() - t) * 1000;
      if (!checkReply(r)) errors++;
    }
    lat.sort();
    result = { value: percentile(lat, 50), p50: percentile(lat, 50), p99: percentile(lat, 99), count: cfg.requests, errors };
  } else if (sc.startsWith('gateway')) {
    let stop = false, count = 0, errors = 0;
    const cpu0 = process.cpuUsage();
    const timer = setTimeout(() => { stop = true; }, cfg.durationMs);
    await Promise.all(conns.map(async (c) => {
      while (!stop) {
        const r = await c.call();
        if (stop) break; // finished after the window: not counted
        if (!checkReply(r)) errors++;
        count++;
      }
    }));
    clearTimeout(timer);
    const ms = cfg.durationMs; // completions are counted inside the window only
    // This process's CPU over the window and the drain of its last calls (the harness reads the server's the same way).
    const cpu = process.cpuUsage(cpu0);
    result = { value: count / (ms / 1000), count, ms, errors, cpuUs: cpu.user + cpu.system };
  } else {
    throw new Error(`unknown scenario ${sc}`);
  }
  out(`result ${JSON.stringify(result)}`);
  process.exit(0);
}
