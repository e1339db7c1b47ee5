#!/usr/bin/env node
// An interop server: the handler table of ../shared/vectors/README.md
// (cmds 0–11, raw-DEFLATE codec) on one TCP binding, for Go clients and for
// scripts/interop-client.mjs.
//
//   npm run interop:server -- --port P [--host H] [--ws] [--tls-cert FILE --tls-key FILE [--tls-ca FILE]]
//
// --ws serves the same over the WebSocket overlay (HTTP path /qrpc). With
// --tls-cert/--tls-key the binding serves TLS (with --ws: wss); with --tls-ca
// as well, clients must present a certificate signed by that CA (mutual TLS).
// --port 0 picks a free port. Prints "ready HOST:PORT" once listening and
// runs until killed (SIGINT / SIGTERM shut it down gracefully).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Server, backend } from '../dist/index.js';
import { interopBinding } from './interop-handlers.mjs';


const USAGE = 'usage: interop-server --port P [--host H] [--ws] [--tls-cert FILE --tls-key FILE [--tls-ca FILE]]';
let args;
try {
  args = parseArgs({
    options: { port: { type: 'string' }, host: { type: 'string' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'tls-ca': { type: 'string' }, ws: { type: 'boolean' } },
  }).values;
} catch (err) {
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}
const port = Number(args.port ?? 0);
const host = args.host ?? '127.0.0.1';
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port "${args.port}"`);
  process.exit(2);
}

if (Boolean(args['tls-cert']) !== Boolean(args['tls-key']) || (args['tls-ca'] && !args['tls-cert'])) {
  console.error(`--tls-cert and --tls-key go together (--tls-ca needs them)\n${USAGE}`);
  process.exit(2);
}
let tls;
try {
  if (args['tls-cert']) {
    tls = { cert: readFileSync(args['tls-cert']), key: readFileSync(args['tls-key']) };
    if (args['tls-ca']) Object.assign(tls, { ca: readFileSync(args['tls-ca']), requestCert: true, rejectUnauthorized: true });
  }
} catch (err) {
  console.error(`cannot read a TLS file: ${err.message}`);
  process.exit(2);
}

const binding = interopBinding();
const server = new Server([{ addr: { host, port }, ...binding, ...(tls ? { tls } : {}), ...(args.ws ? { overlay: 'ws' } : {}) }]);

// Installed before "ready" is printed, so a supervisor may signal as soon as it reads it.
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.shutdown({ timeoutMs: 1000 });
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

await server.listen();
const bound = server.address(0);
console.log(`ready ${bound.host}:${bound.port} (backend: ${backend().name}, transport: ${server.transportOf(0)}${args.ws ? ', path /qrpc' : ''}${tls?.requestCert ? ', client certificates required' : ''})`);
