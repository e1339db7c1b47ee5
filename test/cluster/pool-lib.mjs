// Tools of the pool reload/restart suites: the worker module's version file,
// the gate that holds new workers before they listen, answers parsed.
import cluster from 'node:cluster';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../../dist/index.js';

export const module = new URL('./fixtures/worker-server.mjs', import.meta.url);

/** A version file for the worker module: set(text) before a (re)load; remove() at the end. */
export function versionFile(text = 'v1') {
  const dir = mkdtempSync(join(tmpdir(), 'qrpc-pool-'));
  const path = join(dir, 'version');
  writeFileSync(path, text);
  return {
    path,
    set: (t) => writeFileSync(path, t),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Holds every worker of a FIXTURE_WORKER_GATE=1 pool before it listens until
 * `policy(pid)` resolves (default: at once); close() stops watching.
 */
export function gatekeeper() {
  const keeper = { policy: async () => {} };
  const onMessage = (worker, m) => {
    if (m?.fixture !== 'gate') return;
    keeper.policy(m.pid).then(() => {
      if (worker.isConnected()) worker.send({ fixture: 'go' });
    });
  };
  cluster.on('message', onMessage);
  keeper.close = () => cluster.off('message', onMessage);
  return keeper;
}

/** "slot:pid:transport:version" */
export function parseAnswer(payload) {
  const [slot, pid, transport, version] = String(payload).split(':');
  return { slot: Number(slot), pid: Number(pid), transport, version };
}

/** One call (cmd 1) on a fresh connection: who answered, parsed. */
export async function ask(port) {
  const conn = await connect(`127.0.0.1:${port}`);
  try {
    return parseAnswer((await conn.call(1, '')).payload);
  } finally {
    await conn.close();
  }
}
