// The worker module of bench/workers.mjs: the qrpc contender's hello handler,
// one binding shared by every worker.
import { Server, ServeMux } from '../../dist/index.js';
import { helloMux } from '../lib/qrpc-hello.mjs';

export default function createServer(worker) {
  return new Server(worker.bindings([{ addr: '127.0.0.1:0', handler: helloMux(ServeMux) }]));
}
