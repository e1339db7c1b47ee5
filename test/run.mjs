// Test runner: unit suites once; behavioural, fault, services, cluster and browser suites
// once per backend; native and package suites once. Each file runs in its own process (uvu prints its totals);
// the last line is "N passed, M failed" for CI.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const only = args.find((a) => !a.startsWith('--'));
const backendsArg = args.find((a) => a.startsWith('--backends='));
const PER_FILE_TIMEOUT_MS = 120_000;

if (!existsSync(join(root, 'dist', 'index.js'))) {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', root], { stdio: 'inherit' });
  if (tsc.status !== 0) {
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

const list = (dir) =>
  existsSync(join(here, dir))
    ? readdirSync(join(here, dir))
        .filter((f) => f.endsWith('.test.mjs'))
        .sort()
        .map((f) => join(here, dir, f))
        .filter((f) => !only || f.includes(only))
    : [];

async function nativeAvailable() {
  const { backend } = await import(join(root, 'dist', 'index.js'));
  const saved = process.env.QRPC_BACKEND;
  delete process.env.QRPC_BACKEND;
  const info = backend();
  if (saved !== undefined) process.env.QRPC_BACKEND = saved;
  return info;
}

const info = await nativeAvailable();
let backends = backendsArg ? backendsArg.slice('--backends='.length).split(',') : ['native', 'fallback'];
const runs = [];
for (const file of list('unit')) runs.push({ file, env: {} });
let setupFailures = 0;
for (const b of backends) {
  if (b === 'native' && info.name !== 'native') {
    console.log(`\n!! native backend unavailable (${info.loadError}); its behavioural run is counted as one failure`);
    setupFailures++;
    continue;
  }
  for (const file of list('behaviour')) runs.push({ file, env: { QRPC_BACKEND: b }, label: b });
  for (const file of list('faults')) runs.push({ file, env: { QRPC_BACKEND: b }, label: b });
  // Layers above the server/client: services (Api, pipe, typed services, metrics), cluster (workers, broker, rooms, restart), browser (Chromium).
  for (const dir of ['services', 'cluster', 'browser']) for (const file of list(dir)) runs.push({ file, env: { QRPC_BACKEND: b }, label: b });
}
/*
 * The behavioural suites once more per backend over the WebSocket overlay
 * (QRPC_TEST_OVERLAY=ws: bindings get `overlay: 'ws'`, clients dial ws://,
 * raw peers send their bytes in binary messages). Left out: suites that
 * speak plain TCP to something other than startServer (interop spawns TCP
 * processes, vectors-client plays a raw TCP server; the ws-* suites and
 * interop-ws cover those).
 */
const OVERLAY_SKIP = new Set(['interop.test.mjs', 'interop-ws.test.mjs', 'interop-tls.test.mjs', 'tls.test.mjs', 'vectors-client.test.mjs']);
const overlays = args.includes('--no-overlay') ? [] : ['ws'];
for (const b of backends) {
  if (b === 'native' && info.name !== 'native') continue;
  for (const overlay of overlays) {
    for (const file of list('behaviour')) {
      const base = file.split(/[\\/]/).pop();
      if (OVERLAY_SKIP.has(base) || base.startsWith('ws-')) continue;
      runs.push({ file, env: { QRPC_BACKEND: b, QRPC_TEST_OVERLAY: overlay }, label: `${b}+${overlay}` });
    }
  }
}
for (const file of list('native')) runs.push({ file, env: {} });
// The package as users get it: the CLI as a subprocess, install paths, the tarball in a fresh project.
for (const file of list('package')) runs.push({ file, env: {} });

// The package suites pack the package (compiling a prebuild) and npm-install it into fresh projects.
const timeoutFor = (file) => (file.includes(`${join('test', 'package')}`) ? 3 * PER_FILE_TIMEOUT_MS : PER_FILE_TIMEOUT_MS);

function runOne({ file, env, label }) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { cwd: root, env: { ...process.env, ...env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const limit = timeoutFor(file);
    const timer = setTimeout(() => {
      out += `\n!! timed out after ${limit} ms`;
      child.kill('SIGKILL');
    }, limit);
    child.on('close', (code) => {
      clearTimeout(timer);
      const num = (name) => Number((out.match(new RegExp(`${name}:\\s+(\\d+)`)) ?? [])[1] ?? 0);
      const total = num('Total');
      let passed = num('Passed');
      let failed = total - passed - num('Skipped');
      if (code !== 0 && failed === 0) failed = 1; // crashed or timed out outside a test
      resolve({ name: `${relative(root, file)}${label ? ` [${label}]` : ''}`, passed, failed, out });
    });
  });
}

const concurrency = Number(process.env.QRPC_TEST_JOBS ?? 2);
let passed = 0;
let failed = setupFailures;
let next = 0;
async function worker() {
  while (next < runs.length) {
    const r = await runOne(runs[next++]);
    passed += r.passed;
    failed += r.failed;
    const status = r.failed ? 'FAIL' : 'ok  ';
    console.log(`${status} ${r.name}: ${r.passed} passed${r.failed ? `, ${r.failed} failed` : ''}`);
    if (r.failed) console.log(r.out.replace(/^/gm, '    '));
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
console.log(`\nbackend on this machine: ${info.name}${info.loadError && info.name !== 'native' ? ` (${info.loadError})` : ''}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
