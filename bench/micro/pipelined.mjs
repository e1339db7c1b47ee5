#!/usr/bin/env node
// Single-connection pipelined calls in one process (one server, one client, K calls in flight), for
// comparing builds and the metrics hooks. Every cell loads its own copy of a build (dist/ + build/,
// copied to a temporary directory), so no two cells share compiled code: when cells share one module
// instance, a cell with hooks set makes the engine's functions polymorphic for the others too (seen
// here: two identical builds 20% apart when one shared its module with the hooked cells).
// Cells take turns in short batches, the order rotating each round, so a shared machine's load
// falls on every cell alike.
//
//   node bench/micro/pipelined.mjs --tree before=/tmp/before --tree after=. [--modes off,noop,prom]
//        [--rounds 15] [--batch 20000] [--window 1000]
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { interleave, startEchoPair } from './echo-pair.mjs';

const { values } = parseArgs({
  options: {
    tree: { type: 'string', multiple: true, default: ['current=.'] },
    modes: { type: 'string', default: 'off,noop' },
    rounds: { type: 'string', default: '15' },
    batch: { type: 'string', default: '20000' },
    window: { type: 'string', default: '1000' },
  },
});
const rounds = Number(values.rounds);
const batch = Number(values.batch);
const window = Number(values.window);
const modes = values.modes.split(',');
const scratch = mkdtempSync(path.join(tmpdir(), 'qrpc-pipelined-'));

/** A private copy of a built tree: its own module instances and its own addon file. */
function isolatedCopy(tree, tag) {
  const dir = path.join(scratch, tag);
  cpSync(path.join(tree, 'dist'), path.join(dir, 'dist'), { recursive: true });
  cpSync(path.join(tree, 'build', 'Release'), path.join(dir, 'build', 'Release'), { recursive: true });
  for (const file of ['package.json', 'binding.gyp']) cpSync(path.join(tree, file), path.join(dir, file));
  symlinkSync(path.resolve(tree, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

const noop = () => {};
const emptyHooks = () => ({ request: noop, reset: noop, push: noop, bytes: noop, connectionOpened: noop, connectionClosed: noop, kick: noop });

async function cell(name, tree, mode) {
  const dir = isolatedCopy(path.resolve(tree), `${name}-${mode}`);
  const q = await import(pathToFileURL(path.join(dir, 'dist', 'index.js')).href);
  let hooks = () => null;
  if (mode === 'noop') hooks = emptyHooks;
  else if (mode === 'prom') {
    // The prom-client adapter (qrpc-node/prometheus), each side with its own registry's hooks.
    const { Registry } = await import(pathToFileURL(path.join(dir, 'node_modules', 'prom-client', 'index.js')).href);
    const { prometheusMetrics } = await import(pathToFileURL(path.join(dir, 'dist', 'metrics', 'prometheus.js')).href);
    const metrics = prometheusMetrics({ registry: new Registry() });
    let side = 0;
    hooks = () => (side++ === 0 ? metrics.server() : metrics.client());
  }
  const { run, close } = await startEchoPair(q, { serverHooks: hooks(), clientHooks: hooks(), window });
  return {
    label: `${name}/${mode}`,
    backend: q.backend().name,
    run,
    rates: [],
    close,
  };
}

const cells = [];
for (const spec of values.tree) {
  const [name, tree] = spec.split('=');
  for (const mode of modes) cells.push(await cell(name, tree, mode));
}
await interleave(cells, rounds, batch);
for (const c of cells) await c.close();
rmSync(scratch, { recursive: true, force: true });

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => sorted(xs)[Math.floor(xs.length / 2)];
const k = (x) => `${Math.round(x / 1000)}k`;
console.log(`backend ${cells[0].backend}; ${rounds} rounds x ${batch} calls, ${window} in flight, 16-byte payloads; each cell its own copy of its build`);
const base = median(cells[0].rates);
for (const c of cells) {
  const s = sorted(c.rates);
  const m = median(c.rates);
  console.log(`${c.label.padEnd(16)} median ${k(m).padStart(6)} calls/s (${((m / base - 1) * 100).toFixed(1).padStart(6)}% vs ${cells[0].label})  range ${k(s[0])}-${k(s[s.length - 1])}`);
}
