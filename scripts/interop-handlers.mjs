// The handler table of ../shared/vectors/README.md (the server the recorded Go
// sessions talked to), as a ServeMux plus the binding options it needs
// (raw-DEFLATE codec, a client-push counter per connection). Used by the
// interop server, the vector replay tests and the interop test.
//
//   cmd 0  reply "hello world " + payload                        (reply cmd 1)
//   cmd 2  push "pushed " + payload to every connection, reply "push done"
//   cmd 3  call the client back (cmd 4, same payload), reply payload + answer
//   cmd 5  streamed reply: "first " + p, "cont " + p per continuation frame,
//          the last with StreamEnd; a final "end" (StreamEnd) if the request
//          was not streamed
//   cmd 6  wait for the client's reset, then reply "canceled" ("not canceled"
//          after 5 s). With our library the reply after a reset fails with
//          ERR_WRITE_AFTER_CLOSE and nothing is sent (spec §6); Go sends it.
//   cmd 7  the handler throws → reset frame
//   cmd 8  sleep 50 ms, reply "slow " + payload
//   cmd 9  return without writing → reset frame
//   cmd 10 reply the number of client pushes received on this connection
//   cmd 11 reply the request payload with the Codec flag (reply cmd 11)
//   cmd 12 an echo pipe (Go's channel package): every message received is
//          sent back with its cmd, then the end (a reset of reason 0)
//   cmds 10000 / 10001 typed services (Go's codegen rpc / error cmds):
//          calc:add({a, b}) → {sum}, calc:echo(x) → x, calc:fail() → error "boom"
//          (also as Calc:Add / Calc:Echo / Calc:Fail, the names a Go codegen client sends)
import { ServeMux, Flags, deflateRawCodec, defineService, registerServices, pipeHandler } from '../dist/index.js';

const REPLY = 1;
export const PIPE_CMD = 12;

/** The typed service of the interop table. */
export const calcService = defineService('calc', {
  add: ({ a, b }) => ({ sum: a + b }),
  echo: (x) => x,
  fail: () => {
    throw new Error('boom');
  },
});

/** The same under the names Go's generator sends (CamelCased sub-service ns, exported method names): a Go codegen client calls Calc:Add. */
const goNamedCalcService = defineService('Calc', { Add: calcService.methods.add, Echo: calcService.methods.echo, Fail: calcService.methods.fail });

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Returns the binding options (without `addr`) of an interop server:
 * `{ handler, codec, onPush }`. `onEvent(name, detail)` (optional) observes
 * what handlers see that is invisible on the wire (tests use it):
 *   'cancel-waiting' { requestId }                 cmd 6 handler started waiting
 *   'cancel-result'  { requestId, canceled, writeError } after its reply attempt
 */
export function interopBinding({ onEvent = () => {} } = {}) {
  /** Client pushes received, per connection. */
  const pushes = new WeakMap();
  const mux = new ServeMux();

  mux.handle(0, (w, req) => w.startWrite(req.requestId, REPLY, 0).writeBytes('hello world ').writeBytes(req.payload).endWrite());

  mux.handle(2, (w, req) => {
    const conn = req.connection;
    conn.server.pushAll(conn.bindingIndex, 2, Buffer.concat([Buffer.from('pushed '), req.payload]));
    return w.reply(req.requestId, REPLY, 'push done');
  });

  mux.handle(3, async (w, req) => {
    const answer = await req.connection.call(4, req.payload);
    await w.reply(req.requestId, REPLY, Buffer.concat([req.payload, answer.payload]));
  });

  mux.handle(5, async (w, req) => {
    const id = req.requestId;
    await w.reply(id, 5, Buffer.concat([Buffer.from('first '), req.payload]), Flags.Stream);
    let ended = false;
    for await (const frame of req.frames()) {
      const last = (frame.flags & Flags.StreamEnd) !== 0;
      await w.reply(id, 5, Buffer.concat([Buffer.from('cont '), frame.payload]), last ? Flags.StreamEnd : Flags.Stream);
      if (last) ended = true;
    }
    // Not streamed (or a one-frame stream): close our half with "end".
    if (!ended) await w.reply(id, 5, 'end', Flags.StreamEnd);
  });

  mux.handle(6, async (w, req) => {
    const signal = req.signal;
    onEvent('cancel-waiting', { requestId: req.requestId });
    const canceled = await new Promise((resolve) => {
      if (signal.aborted) return resolve(true);
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(false);
      }, 5000);
      const onAbort = () => {
        clearTimeout(timer);
        resolve(true);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
    let writeError = null;
    try {
      await w.reply(req.requestId, REPLY, canceled ? 'canceled' : 'not canceled');
    } catch (err) {
      writeError = err;
    }
    onEvent('cancel-result', { requestId: req.requestId, canceled, writeError });
  });

  mux.handle(7, () => {
    throw new Error('panic (cmd 7, on purpose)');
  });

  mux.handle(8, async (w, req) => {
    await sleep(50);
    await w.reply(req.requestId, REPLY, Buffer.concat([Buffer.from('slow '), req.payload]));
  });

  mux.handle(9, () => {});

  mux.handle(10, (w, req) => w.reply(req.requestId, REPLY, String(pushes.get(req.connection) ?? 0)));

  mux.handle(11, (w, req) => w.reply(req.requestId, 11, req.payload, Flags.Codec));

  mux.handle(PIPE_CMD, pipeHandler(async ({ sender, receiver }) => {
    for await (const { cmd, message } of receiver) await sender.send(cmd, message);
    await sender.end();
  }));

  registerServices(mux, [calcService, goNamedCalcService]);

  return {
    handler: mux,
    codec: deflateRawCodec(),
    onPush: (frame, conn) => pushes.set(conn, (pushes.get(conn) ?? 0) + 1),
  };
}
