#!/usr/bin/env node
// Process-level comparison harness: for every contender x scenario it starts
// a server process and client process(es) on loopback, collects the measured
// value, repeats (3 runs per cell by default) and reports the median, min and
// max. See bench/README.md.
//
//   node bench/run.mjs [--quick] [--only a,b] [--scenario x,y] [--runs N]
//                      [--client-procs N] [--json FILE]
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, statSync, existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib/common.mjs';
import { renderSvg } from './lib/chart.mjs';
import { makeTestCertificates } from '../test/tls-certs.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const BUILD = path.join(BENCH, '.build');
const NODE = process.execPath;

// ---------------------------------------------------------------- options
function parseArgs(argv) {
  const o = { quick: false, only: null, scenario: null, runs: 3, clientProcs: 2, json: null, client: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (a.includes('=')) return a.slice(a.indexOf('=') + 1);
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      return argv[++i];
    };
    const name = a.split('=')[0];
    if (name === '--quick') o.quick = true;
    else if (name === '--only') o.only = val().split(',').map((s) => s.trim()).filter(Boolean);
    else if (name === '--scenario' || name === '--scenarios') o.scenario = val().split(',').map((s) => s.trim()).filter(Boolean);
    else if (name === '--runs') o.runs = Math.max(1, Number(val()));
    else if (name === '--client-procs') o.clientProcs = Math.max(1, Number(val()));
    else if (name === '--json') o.json = val();
    else if (name === '--client') o.client = val();
    else if (name === '--help' || name === '-h') {
      process.stdout.write('usage: node bench/run.mjs [--quick] [--only a,b] [--scenario x,y] [--runs N] [--client-procs N] [--json FILE] [--client NAME]\n'
        + '  --client NAME  drive every server with that contender\'s client (shows which side bounds a cell)\n');
      process.exit(0);
    } else throw new UsageError(`unknown option ${a} (see --help)`);
  }
  return o;
}

// ---------------------------------------------------------------- scenarios
// better: which direction wins; `params` full and quick.
const SCENARIOS = {
  'throughput-1conn': {
    unit: 'req/s', better: 'higher',
    // The warm-up settles the JIT and the heap's young generation before the measured
    // requests (20,000 left the 100,000 measured ones partly in warm-up: qrpc and node-net
    // both ran 10-30 % faster in longer runs); capped in time so slow contenders are not held up.
    full: { conns: 1, requests: 100_000, inflight: 1000, warmup: 300_000, warmupMs: 1500 },
    quick: { conns: 1, requests: 50_000, inflight: 1000, warmup: 150_000, warmupMs: 750 },
    describe: (p) => `1 conn, ${p.requests} req, ${p.inflight} in flight`,
  },
  'latency-1inflight': {
    unit: 'µs p50', better: 'lower',
    full: { conns: 1, requests: 20_000, inflight: 1, warmup: 2_000 },
    quick: { conns: 1, requests: 3_000, inflight: 1, warmup: 500 },
    describe: (p) => `1 conn, ${p.requests} sequential req`,
  },
  'gateway-10k': {
    unit: 'req/s', better: 'higher',
    full: { conns: 10_000, inflight: 1, durationMs: 5_000 },
    quick: { conns: 2_000, inflight: 1, durationMs: 2_000 },
    describe: (p) => `${p.conns} conns x 1 in flight, ${p.durationMs / 1000} s`,
  },
  'memory-idle-10k': {
    unit: 'B/conn', better: 'lower',
    full: { conns: 10_000 },
    quick: { conns: 2_000 },
    describe: (p) => `${p.conns} idle conns, server RSS growth after GC`,
  },
  'fanout-10k': {
    unit: 'ms', better: 'lower',
    full: { conns: 10_000 },
    quick: { conns: 2_000 },
    describe: (p) => `1 x 64 B push to ${p.conns} conns`,
  },
};

// ---------------------------------------------------------------- contenders
function nodeContender(dir, env = {}) {
  const d = path.join(BENCH, 'contenders', dir);
  return {
    env,
    server: () => [NODE, ['--expose-gc', path.join(d, 'server.mjs')]],
    client: () => [NODE, [path.join(d, 'client.mjs')]],
  };
}

const CLIENT_MODE = {
  'throughput-1conn': 'throughput', 'latency-1inflight': 'latency', 'gateway-10k': 'gateway',
  'memory-idle-10k': 'memory', 'fanout-10k': 'fanout',
};

const CONTENDERS = {
  'node-net': nodeContender('node-net'),
  ws: nodeContender('ws'),
  'socket.io': nodeContender('socket.io'),
  'grpc-js': nodeContender('grpc-js'),
  'c-limit': {
    env: {},
    build: buildC,
    server: () => [path.join(BUILD, 'c-limit-server'), ['0', '900']],
    client: (cfg) => [path.join(BUILD, 'c-limit-client'), [
      String(cfg.port), CLIENT_MODE[cfg.scenario], String(cfg.conns), String(cfg.inflight || 1),
      String(cfg.requests || 0), String(cfg.warmup || 0), String(cfg.durationMs || 0), '900']],
  },
  'qrpc-native': nodeContender('qrpc', { QRPC_BACKEND: 'native' }),
  'qrpc-fallback': nodeContender('qrpc', { QRPC_BACKEND: 'fallback' }),
  // TLS over TCP (node:tls on either backend), next to plain TCP: certificates made at start, as the tests do.
  'qrpc-tls': { ...nodeContender('qrpc'), build: buildTlsCerts },
  // The WebSocket overlay (the `ws` library under this library's framing): compare with `ws`.
  'qrpc-ws': nodeContender('qrpc', { QRPC_BACKEND: 'native', QRPC_BENCH_OVERLAY: 'ws' }),
};
const BASELINE = 'node-net';
const LIMIT = 'c-limit';

function buildTlsCerts() {
  const { dir } = makeTestCertificates();
  // Read by contenders/qrpc when set: the server serves TLS with them, the client trusts their CA.
  CONTENDERS['qrpc-tls'].env = { QRPC_BENCH_TLS: dir };
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
}

function buildC() {
  mkdirSync(BUILD, { recursive: true });
  const src = path.join(BENCH, 'contenders', 'c-limit');
  for (const name of ['server', 'client']) {
    const out = path.join(BUILD, `c-limit-${name}`);
    const c = path.join(src, `${name}.c`);
    if (existsSync(out) && statSync(out).mtimeMs > statSync(c).mtimeMs) continue;
    execFileSync('cc', ['-O2', '-o', out, c], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
}

// ---------------------------------------------------------------- processes
const live = new Set();
function killAll() {
  for (const p of live) { try { p.child.kill('SIGKILL'); } catch {} }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { killAll(); process.stderr.write(`\n${sig}: stopped\n`); process.exit(130); });
}

class Proc {
  constructor(label, cmd, args, env) {
    this.label = label;
    this.lines = [];
    this.waiters = [];
    this.stderr = '';
    this.exited = null;
    this.child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    live.add(this);
    let buf = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line) { this.lines.push(line); this.pump(); }
      }
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (d) => { this.stderr = (this.stderr + d).slice(-4000); });
    this.child.stdin.on('error', () => {});
    this.child.on('error', (e) => { this.exited = `spawn failed: ${e.message}`; this.pump(); });
    this.child.on('exit', (code, sig) => {
      live.delete(this);
      this.exited = `exited (${sig || code})`;
      this.pump();
    });
    this.exitPromise = new Promise((r) => this.child.on('close', r));
  }

  get pid() { return this.child.pid; }

  why() {
    const err = this.lines.find((l) => l.startsWith('error '));
    if (err) return err.slice(6);
    const lines = this.stderr.trim().split('\n').filter((l) => l.trim() && !/^\s+at /.test(l) && !/^Node\.js v/.test(l));
    const errLine = lines.find((l) => /^\w*(Error|Exception)\b/.test(l.trim()));
    if (errLine) return errLine.trim().slice(0, 300);
    return lines.slice(-2).join(' | ').slice(0, 300) || this.exited || 'unknown';
  }

  pump() {
    for (const w of [...this.waiters]) {
      const i = this.lines.findIndex((l) => l === w.prefix || l.startsWith(w.prefix + ' '));
      if (i >= 0) {
        const line = this.lines.splice(i, 1)[0];
        this.done(w);
        w.resolve(line.slice(w.prefix.length).trim());
      } else if (this.lines.some((l) => l.startsWith('error '))) {
        this.done(w);
        w.reject(new Error(`${this.label}: ${this.why()}`));
      } else if (this.exited) {
        this.done(w);
        w.reject(new Error(`${this.label} ${this.exited}: ${this.why()}`));
      }
    }
  }

  done(w) {
    clearTimeout(w.timer);
    this.waiters.splice(this.waiters.indexOf(w), 1);
  }

  expect(prefix, ms) {
    return new Promise((resolve, reject) => {
      const w = { prefix, resolve, reject };
      w.timer = setTimeout(() => {
        this.done(w);
        reject(new Error(`${this.label}: no "${prefix}" within ${ms} ms${this.stderr ? ` (${this.why()})` : ''}`));
      }, ms);
      this.waiters.push(w);
      this.pump();
    });
  }

  send(line) { if (!this.exited) this.child.stdin.write(line + '\n'); }

  async stop(ms = 3000) {
    if (this.exited) return;
    try { this.child.stdin.end(); } catch {}
    const t = setTimeout(() => { try { this.child.kill('SIGKILL'); } catch {} }, ms);
    await this.exitPromise;
    clearTimeout(t);
  }
}

function rssBytes(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(s);
  if (!m) throw new Error('no VmRSS');
  return Number(m[1]) * 1024;
}

/** CPU seconds (user + system) a process used so far, from /proc (clock ticks of 1/100 s, Linux's USER_HZ). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- one run
class StartError extends Error {}
class UsageError extends Error {}

async function runOnce(name, scName, p, opts, onStarted) {
  const c = CONTENDERS[name];
  const procs = [];
  const many = p.conns > 1;
  const connectMs = many ? Math.max(30_000, p.conns * 12) : 20_000;
  try {
    const [scmd, sargs] = c.server();
    const server = new Proc(`${name} server`, scmd, sargs, { ...c.env, BENCH_LIFETIME_MS: '900000' });
    procs.push(server);
    let port;
    try {
      port = Number(await server.expect('ready', 20_000));
      onStarted();
    } catch (e) {
      throw new StartError(e.message);
    }
    let rss0 = 0;
    if (scName === 'memory-idle-10k') {
      await sleep(300);
      server.send('gc');
      await server.expect('gc-done', 10_000);
      rss0 = rssBytes(server.pid);
    }
    const nproc = many ? Math.min(opts.clientProcs, p.conns) : 1;
    const clients = [];
    for (let i = 0; i < nproc; i++) {
      const conns = Math.floor(p.conns / nproc) + (i < p.conns % nproc ? 1 : 0);
      const cfg = { ...p, conns, port, scenario: scName };
      const cc = opts.client ? CONTENDERS[opts.client] : c;
      const [ccmd, cargs] = cc.client(cfg);
      const cl = new Proc(`${opts.client ?? name} client${nproc > 1 ? ` ${i + 1}` : ''}`, ccmd, cargs,
        { ...cc.env, BENCH_CFG: JSON.stringify(cfg), BENCH_LIFETIME_MS: '900000' });
      procs.push(cl);
      clients.push(cl);
    }
    await Promise.all(clients.map((cl) => cl.expect('connected', connectMs)));
    const results = async (ms) =>
      (await Promise.all(clients.map((cl) => cl.expect('result', ms)))).map((s) => JSON.parse(s));

    if (scName === 'memory-idle-10k') {
      await sleep(1000);
      server.send('gc');
      await server.expect('gc-done', 10_000);
      const rss1 = rssBytes(server.pid);
      return { value: (rss1 - rss0) / p.conns, rssBeforeMB: rss0 / 1048576, rssAfterMB: rss1 / 1048576, conns: p.conns };
    }
    if (scName === 'fanout-10k') {
      await sleep(300);
      server.send('push');
      const [count, t0, cpu] = (await server.expect('pushed', 30_000)).split(/\s+/).map(Number);
      const rs = await results(30_000);
      const received = rs.reduce((a, r) => a + r.received, 0);
      const bad = rs.reduce((a, r) => a + (r.badPush || 0), 0);
      if (received !== p.conns) throw new Error(`${received} of ${p.conns} clients got the push`);
      if (bad) throw new Error(`${bad} pushes of the wrong size`);
      const last = Math.max(...rs.map((r) => r.lastUs));
      server.send('cpu');
      const cpuAll = Number(await server.expect('cpu', 10_000));
      return {
        value: (last - t0) / 1000, cpuUsPerRecipient: cpuAll / count, syncCpuUsPerRecipient: cpu / count,
        pushedTo: count, conns: p.conns,
      };
    }
    // Which side a gateway cell spends its CPU on: both share the machine's cores, so a costlier client lowers the cell too.
    // (A client exits right after its result: it reports its own CPU; the server's is read here.)
    const serverCpu0 = cpuSeconds(server.pid);
    for (const cl of clients) cl.send('go');
    const limitMs = scName === 'gateway-10k' ? p.durationMs + 30_000 : 180_000;
    const rs = await results(limitMs);
    const serverCpu = cpuSeconds(server.pid) - serverCpu0;
    const errors = rs.reduce((a, r) => a + (r.errors || 0), 0);
    if (errors) throw new Error(`${errors} wrong answers`);
    if (scName === 'gateway-10k') {
      const requests = rs.reduce((a, r) => a + r.count, 0);
      const clientCpuUs = rs.reduce((a, r) => a + (r.cpuUs ?? NaN), 0);
      return {
        value: rs.reduce((a, r) => a + r.value, 0), requests, conns: p.conns,
        serverCpuUsPerRequest: (1e6 * serverCpu) / requests, clientCpuUsPerRequest: clientCpuUs / requests,
      };
    }
    if (scName === 'latency-1inflight') return { value: rs[0].p50, p99: rs[0].p99 };
    return { value: rs[0].value };
  } finally {
    await Promise.all(procs.map((pr) => pr.stop()));
  }
}

// ---------------------------------------------------------------- output
function fmt(v, unit) {
  if (v == null || !Number.isFinite(v)) return '-';
  if (unit === 'req/s' || unit === 'B/conn') return Math.round(v).toLocaleString('en-US');
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function pad(s, n, right = false) {
  s = String(s);
  const w = [...s].length;
  return w >= n ? s : right ? s + ' '.repeat(n - w) : ' '.repeat(n - w) + s;
}

function table(results, scenarios, contenders, opts) {
  const rows = [['scenario', 'contender', 'median', 'unit', 'min', 'max', 'x node-net', '% c-limit', 'notes']];
  for (const sc of scenarios) {
    const base = results.find((r) => r.scenario === sc && r.contender === BASELINE && r.status === 'ok');
    const lim = results.find((r) => r.scenario === sc && r.contender === LIMIT && r.status === 'ok');
    for (const name of contenders) {
      const r = results.find((x) => x.scenario === sc && x.contender === name);
      if (!r) continue;
      if (r.status !== 'ok') {
        rows.push([sc, name, r.status, '', '', '', '', '', (r.reason || '').slice(0, 140)]);
        continue;
      }
      const notes = [];
      if (r.p99 != null) notes.push(`p99 ${fmt(r.p99)} µs`);
      if (r.serverCpuUsPerRequest != null) notes.push(`CPU µs/req: server ${fmt(r.serverCpuUsPerRequest)}, clients ${fmt(r.clientCpuUsPerRequest)}`);
      if (r.cpuUsPerRecipient != null) notes.push(`server CPU ${fmt(r.cpuUsPerRecipient)} µs/recipient (in pushAll call ${fmt(r.syncCpuUsPerRecipient)})`);
      if (r.failedRuns) notes.push(`${r.failedRuns} run(s) failed`);
      const ratio = base ? r.value / base.value : null;
      let pct = '';
      if (lim && name.startsWith('qrpc')) {
        pct = (r.better === 'higher' ? r.value / lim.value : lim.value / r.value) * 100;
        pct = `${pct < 10 ? pct.toFixed(1) : pct.toFixed(0)}%`;
      }
      rows.push([sc, name, fmt(r.value, r.unit), r.unit, fmt(r.min, r.unit), fmt(r.max, r.unit),
        ratio == null ? '-' : `${ratio.toFixed(2)}x`, pct, notes.join('; ')]);
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...String(r[i])].length)));
  const left = new Set([0, 1, 3, 8]);
  const lines = rows.map((r) => r.map((c, i) => pad(c, widths[i], left.has(i))).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const header = [];
  header.push(`qrpc-node benchmark ${opts.quick ? '(QUICK: smaller counts, see parameters)' : ''}`.trim());
  if (opts.client) header.push(`  every server driven by the ${opts.client} client (--client)`);
  for (const sc of scenarios) header.push(`  ${sc}: ${SCENARIOS[sc].describe(opts.quick ? SCENARIOS[sc].quick : SCENARIOS[sc].full)} (${SCENARIOS[sc].better} is better)`);
  header.push(`  ${opts.runs} run(s) per cell, median shown; "x node-net" = value / node-net value; "% c-limit" = share of the C limit's performance`);
  return header.join('\n') + '\n\n' + lines.join('\n') + '\n';
}

function machineInfo(opts) {
  const cpus = os.cpus();
  let cc = '';
  try { cc = execFileSync('cc', ['--version'], { encoding: 'utf8' }).split('\n')[0]; } catch {}
  return {
    date: new Date().toISOString(),
    command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    cpu: cpus[0]?.model || 'unknown', cores: cpus.length,
    memoryGB: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version, cc,
    loadavgAtStart: os.loadavg().map((x) => +x.toFixed(2)),
    quick: opts.quick, runs: opts.runs, clientProcs: opts.clientProcs,
    ...(opts.client ? { client: opts.client } : {}),
  };
}

// ---------------------------------------------------------------- main
async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const contenders = opts.only ?? Object.keys(CONTENDERS);
  const scenarios = opts.scenario ?? Object.keys(SCENARIOS);
  for (const c of contenders) if (!CONTENDERS[c]) throw new UsageError(`unknown contender ${c} (known: ${Object.keys(CONTENDERS).join(', ')})`);
  if (opts.client && !CONTENDERS[opts.client]) throw new UsageError(`unknown client contender ${opts.client}`);
  if (opts.client) CONTENDERS[opts.client].build?.();
  for (const s of scenarios) if (!SCENARIOS[s]) throw new UsageError(`unknown scenario ${s} (known: ${Object.keys(SCENARIOS).join(', ')})`);
  const machine = machineInfo(opts);

  const broken = new Map(); // contender -> reason it cannot start at all
  const started = new Set(); // contenders whose server came up at least once
  for (const c of contenders) {
    try { CONTENDERS[c].build?.(); } catch (e) {
      broken.set(c, `build failed: ${String(e.stderr || e.message).split('\n')[0]}`);
    }
  }

  const tty = process.stderr.isTTY;
  const t0 = Date.now();
  const total = scenarios.length * contenders.length * opts.runs;
  let step = 0;
  const progress = (msg) => {
    const el = ((Date.now() - t0) / 1000).toFixed(0);
    const line = `[${step}/${total} ${el}s] ${msg}`;
    if (tty) process.stderr.write(`\r\x1b[K${line}`);
    else process.stderr.write(line + '\n');
  };

  const cells = new Map(); // key -> { runs: [], errors: [] }
  for (const sc of scenarios) {
    const p = opts.quick ? SCENARIOS[sc].quick : SCENARIOS[sc].full;
    for (let run = 1; run <= opts.runs; run++) {
      for (const name of contenders) { // contenders interleaved within a scenario: noise spreads evenly
        step++;
        const key = `${name}|${sc}`;
        if (!cells.has(key)) cells.set(key, { runs: [], errors: [] });
        const cell = cells.get(key);
        const skip = CONTENDERS[name].skip?.[sc];
        if (skip || broken.has(name)) continue;
        progress(`${sc} ${name} run ${run}/${opts.runs}`);
        try {
          cell.runs.push(await runOnce(name, sc, p, opts, () => started.add(name)));
        } catch (e) {
          cell.errors.push(e.message);
          // never started at all: the other cells would fail the same way (a contender
          // that started before and fails now, e.g. dist/ being rebuilt, keeps its chance)
          if (e instanceof StartError && !started.has(name)) broken.set(name, e.message);
        }
      }
    }
  }
  if (tty) process.stderr.write('\r\x1b[K');
  process.stderr.write(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);

  const results = [];
  for (const sc of scenarios) {
    const S = SCENARIOS[sc];
    const params = opts.quick ? S.quick : S.full;
    for (const name of contenders) {
      const cell = cells.get(`${name}|${sc}`) ?? { runs: [], errors: [] };
      const base = { contender: name, scenario: sc, unit: S.unit, better: S.better, params };
      const skip = CONTENDERS[name].skip?.[sc];
      if (skip) { results.push({ ...base, status: 'skipped', value: null, reason: `skipped: ${skip}` }); continue; }
      if (cell.runs.length === 0) {
        results.push({ ...base, status: 'error', value: null, reason: cell.errors[0] || broken.get(name) || 'no run' });
        continue;
      }
      const vals = cell.runs.map((r) => r.value);
      const r = { ...base, status: 'ok', value: median(vals), min: Math.min(...vals), max: Math.max(...vals), runs: vals, runDetails: cell.runs };
      if (cell.runs[0].p99 != null) r.p99 = median(cell.runs.map((x) => x.p99));
      if (cell.runs[0].cpuUsPerRecipient != null) {
        r.cpuUsPerRecipient = median(cell.runs.map((x) => x.cpuUsPerRecipient));
        r.syncCpuUsPerRecipient = median(cell.runs.map((x) => x.syncCpuUsPerRecipient));
      }
      if (cell.runs[0].serverCpuUsPerRequest != null) {
        r.serverCpuUsPerRequest = median(cell.runs.map((x) => x.serverCpuUsPerRequest));
        r.clientCpuUsPerRequest = median(cell.runs.map((x) => x.clientCpuUsPerRequest));
      }
      if (cell.errors.length) { r.failedRuns = cell.errors.length; r.runErrors = cell.errors; }
      results.push(r);
    }
  }

  const text = table(results, scenarios, contenders, opts);
  process.stdout.write('\n' + text);
  process.stdout.write(`\nmachine: ${machine.cpu}, ${machine.cores} cores, ${machine.os}, node ${machine.node}, ${machine.date}\n`);

  if (opts.json) {
    const file = path.resolve(opts.json);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ machine, results }, null, 2) + '\n');
    const svgFile = file.replace(/\.json$/i, '') + '.svg';
    writeFileSync(svgFile, renderSvg({ machine, results, scenarios, contenders, baseline: BASELINE }));
    process.stderr.write(`wrote ${file} and ${svgFile}\n`);
  }
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`\n${e instanceof UsageError ? e.message : e.stack || e}\n`);
  killAll();
  process.exit(1);
});
