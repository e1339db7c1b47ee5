// A worker thread of bench/workers.mjs --mode threads: the same hello server
// on the native backend (each thread loads the addon: its own epoll set),
// sharing the port with SO_REUSEPORT; posts its port once it listens.
import { parentPort, workerData } from 'node:worker_threads';
import { Server, ServeMux } from '../../dist/index.js';
import { helloMux } from '../lib/qrpc-hello.mjs';

const server = new Server([{ addr: `127.0.0.1:${workerData.port}`, handler: helloMux(ServeMux), reusePort: true }]);
await server.listen();
parentPort.postMessage({ port: server.address(0).port });
parentPort.once('message', () => server.shutdown({ timeoutMs: 500 }).then(() => process.exit(0)));
