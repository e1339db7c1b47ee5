// Servers for the Api suites: each answers cmd 1 with its own name, so a reply says which endpoint served a call.
import net from 'node:net';
import { ServeMux } from '../../dist/index.js';
import { startServer } from '../helpers.mjs';

export const WHO = 1;

/** `n` servers: [{ server, addr, name, handled }] where `handled` counts the cmd-1 requests each served. */
export async function namedServers(n, extend = () => {}) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const mux = new ServeMux();
    const entry = { name: `s${i}`, handled: 0 };
    mux.handleCall(WHO, () => {
      entry.handled++;
      return entry.name;
    });
    extend(mux, entry);
    const { server, addr, port } = await startServer(mux);
    out.push(Object.assign(entry, { server, addr, port }));
  }
  return out;
}

export async function stopAll(servers) {
  await Promise.all(servers.map((s) => s.server.shutdown({ timeoutMs: 500 })));
}

/** A loopback port nothing listens on (bound, then released). */
export function freePort() {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves once a connect to `port` is refused (a server closed its listener). */
export async function untilRefused(port) {
  for (;;) {
    const refused = await new Promise((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', () => resolve(true));
    });
    if (refused) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
