// The qrpc contenders' one handler: cmd 0 → "hello world " + payload, written
// with the streaming writer (the Go-style startWrite/writeBytes/endWrite path).
import { HELLO, CMD_HELLO, CMD_REPLY } from './common.mjs';

const HELLO_BUF = Buffer.from(HELLO);

export function helloMux(ServeMux) {
  const mux = new ServeMux();
  mux.handle(CMD_HELLO, (w, req) => {
    w.startWrite(req.requestId, CMD_REPLY, 0);
    w.writeBytes(HELLO_BUF);
    w.writeBytes(req.payload);
    return w.endWrite();
  });
  return mux;
}
