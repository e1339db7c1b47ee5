/**
 * The entry of a worker process (node:cluster runs this file): loads the
 * user's module, calls its default export with a WorkerContext, listens with
 * the server it returns and tells the primary; on "stop" drains and exits.
 */
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { kListenerFds, type Server } from '../../server/server.js';
import { WorkerContext } from './context.js';
import { WORKER_CONFIRM_ENV, WORKER_FDS_ENV, WORKER_ID_ENV, WORKER_MODULE_ENV, WORKER_PORTS_ENV, isStopMessage, type WorkerMessage } from './messages.js';

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()));
}

function isServer(x: unknown): x is Server {
  const s = x as Server | null;
  return typeof s?.listen === 'function' && typeof s.shutdown === 'function' && typeof s.address === 'function' && typeof s.transportOf === 'function';
}

async function main(): Promise<void> {
  const id = Number(process.env[WORKER_ID_ENV]);
  const ports = JSON.parse(process.env[WORKER_PORTS_ENV] ?? '[]') as Array<number | null>;
  const confirmTimeoutMs = Number(process.env[WORKER_CONFIRM_ENV] ?? 5_000);
  const fds = JSON.parse(process.env[WORKER_FDS_ENV] ?? '[]') as Array<number | null>;
  const spec = process.env[WORKER_MODULE_ENV]!;
  const mod = (await import(spec.startsWith('file:') ? spec : pathToFileURL(spec).href)) as { default?: unknown };
  if (typeof mod.default !== 'function') throw new Error(`worker module ${spec} has no default export function (worker) => Server`);
  const server = await (mod.default as (w: WorkerContext) => unknown)(new WorkerContext(id, ports, confirmTimeoutMs, fds));
  if (!isServer(server)) throw new Error(`the default export of ${spec} did not return a qrpc Server`);
  await server.listen();
  process.on('message', (m) => {
    if (isStopMessage(m)) void server.shutdown({ timeoutMs: m.timeoutMs }).finally(() => process.exit(0));
  });
  const bindings = [];
  // Duck-typed server (see isServer): a server without the symbol reports no fds, and the primary keeps none.
  const listenerFds = typeof server[kListenerFds] === 'function' ? server[kListenerFds]() : [];
  for (let i = 0; ; i++) {
    let address;
    try {
      address = server.address(i);
    } catch {
      break;
    }
    bindings.push({ port: address.port, transport: server.transportOf(i), fd: listenerFds[i] ?? null });
  }
  await send({ qrpc: 'worker-ready', bindings });
}

main().catch(async (err: unknown) => {
  await send({ qrpc: 'worker-failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
