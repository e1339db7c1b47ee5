// The worker module of bench/workers.mjs: the qrpc contender's hello handler
// (cmd 0 → "hello world " + payload), one binding shared by every worker.
import { Server, ServeMux } from '../../dist/index.js';
import { HELLO, CMD_HELLO, CMD_REPLY } from '../lib/common.mjs';

const HELLO_BUF = Buffer.from(HELLO);

export default function createServer(worker) {
  const mux = new ServeMux();
  mux.handle(CMD_HELLO, (w, req) => {
    w.startWrite(req.requestId, CMD_REPLY, 0);
    w.writeBytes(HELLO_BUF);
    w.writeBytes(req.payload);
    return w.endWrite();
  });
  return new Server(worker.bindings([{ addr: '127.0.0.1:0', handler: mux }]));
}
