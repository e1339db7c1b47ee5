// qrpc-node demo (npm start): a server and a client in one process.
// Shows a request, a non-blocking burst, a streamed exchange, a push, a
// server-to-client call, the active backend and a short throughput figure,
// then exits by itself.
import { Server, ServeMux, connect, Flags, backend } from 'qrpc-node';

const HELLO = 0; // reply "hello world " + payload
const ECHO = 1; // reply the payload (throughput)
const UPPER = 5; // streamed: one upper-cased answer frame per request frame
const SUBSCRIBE = 2; // the server pushes to this connection, then replies
const ASK_CLIENT = 3; // the server calls the client (cmd 4) and relays its answer
const CLIENT_NAME = 4; // handled by the client

// ---------------------------------------------------------------- server
const mux = new ServeMux();
mux.handle(HELLO, (w, req) => w.startWrite(req.requestId, HELLO, 0).writeBytes('hello world ').writeBytes(req.payload).endWrite());
mux.handle(ECHO, (w, req) => w.reply(req.requestId, ECHO, req.payload));
mux.handle(UPPER, async (w, req) => {
  // The first frame is in req; the rest of the request stream is an async iterator.
  await w.reply(req.requestId, UPPER, req.payload.toString().toUpperCase(), Flags.Stream);
  for await (const frame of req.frames()) {
    const last = (frame.flags & Flags.StreamEnd) !== 0;
    await w.reply(req.requestId, UPPER, frame.payload.toString().toUpperCase(), last ? Flags.StreamEnd : Flags.Stream);
  }
});
mux.handle(SUBSCRIBE, (w, req) => {
  req.connection.push(SUBSCRIBE, `news for ${req.payload}`);
  return w.reply(req.requestId, SUBSCRIBE, 'subscribed');
});
mux.handle(ASK_CLIENT, async (w, req) => {
  // A server-initiated call toward the client (even request ID).
  const answer = await req.connection.call(CLIENT_NAME, 'who are you?');
  await w.reply(req.requestId, ASK_CLIENT, `the client says: ${answer.payload}`);
});

const server = new Server([{ addr: '127.0.0.1:0', handler: mux }]);
await server.listen();
const { port } = server.address(0);
console.log(`backend: ${backend().name}`);
console.log(`server listening on 127.0.0.1:${port}`);

// ---------------------------------------------------------------- client
const clientMux = new ServeMux();
clientMux.handle(CLIENT_NAME, (w, req) => w.reply(req.requestId, CLIENT_NAME, 'the demo client'));
let onNextPush = null;
const conn = await connect(`127.0.0.1:${port}`, {
  handler: clientMux,
  onPush: (frame) => onNextPush?.(frame),
});

try {
  // 1. A request (blocking, answered in order like HTTP/1.1).
  const hello = await conn.request(HELLO, 0, 'xu').response.frame();
  console.log(`request       → "${hello.payload}" (request id ${hello.requestId})`);

  // 2. A non-blocking burst: all in flight at once, matched by ID.
  const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => conn.call(HELLO, `#${i}`)));
  console.log(`NB burst      → ${burst.length} answers, first "${burst[0].payload}", last "${burst.at(-1).payload}"`);

  // 3. A streamed exchange: a streamed request and a streamed answer on one ID.
  const { writer, response } = conn.streamRequest(UPPER, 0, 'one');
  await writer.write('two');
  await writer.end('three');
  const parts = [];
  for await (const frame of response.frames()) parts.push(frame.payload.toString());
  console.log(`stream        → ${parts.join(', ')}`);

  // 4. A push from the server (arrives before the reply on the same connection).
  const pushed = new Promise((resolve) => (onNextPush = resolve));
  const sub = await conn.call(SUBSCRIBE, 'xu');
  const push = await pushed;
  console.log(`push          → "${push.payload}" (push id ${push.requestId}), then reply "${sub.payload}"`);

  // 5. A server-to-client call, answered by the client's handler.
  const relayed = await conn.call(ASK_CLIENT, '');
  console.log(`server→client → "${relayed.payload}"`);

  // 6. Throughput: 50,000 non-blocking calls with 500 in flight.
  const TOTAL = 50_000;
  const IN_FLIGHT = 500;
  const payload = Buffer.from('ping');
  let issued = 0;
  const started = process.hrtime.bigint();
  async function lane() {
    while (issued < TOTAL) {
      issued++;
      await conn.call(ECHO, payload);
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = Math.round(TOTAL / seconds);
  console.log(`throughput    → ${TOTAL.toLocaleString('en-US')} calls, ${IN_FLIGHT} in flight, ${seconds.toFixed(2)} s, ${rate.toLocaleString('en-US')} req/s`);
} finally {
  await conn.close();
  await server.shutdown({ timeoutMs: 1000 });
}
console.log('done');
console.log('next: npm run demo:browser — the same server in a web page, with live pushes and a call button');
