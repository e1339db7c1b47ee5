import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, Flags, connect } from '../../dist/index.js';
import { startServer, rawServer, rejection, deferred } from '../helpers.mjs';

test('the server calls the client back (even ids) inside a client request', async () => {
  const serverMux = new ServeMux();
  const ids = [];
  serverMux.handle(3, async (w, req) => {
    const answer = await req.connection.call(4, req.payload);
    ids.push(answer.requestId);
    await w.reply(req.requestId, 1, Buffer.concat([req.payload, answer.payload]));
  });
  const clientMux = new ServeMux();
  clientMux.handle(4, (w, req) => w.reply(req.requestId, 4, 'client resp'));
  const { server, addr } = await startServer(serverMux);
  const conn = await connect(addr, { handler: clientMux });
  const reply = await conn.call(3, 'xu ');
  assert.is(reply.payload.toString(), 'xu client resp');
  const again = await conn.call(3, 'yy ');
  assert.is(again.payload.toString(), 'yy client resp');
  assert.equal(ids, [2n, 4n]);
  await conn.close();
  await server.shutdown({ timeoutMs: 200 });
});

test('the client answers a server call with the bidi vector bytes', async () => {
  const raw = await rawServer((peer) => {
    peer.sendFrame(2, Flags.NB, 4, Buffer.from('xu '));
  });
  const clientMux = new ServeMux();
  clientMux.handle(4, (w, req) => w.reply(req.requestId, 4, 'client resp'));
  const conn = await connect(`127.0.0.1:${raw.port}`, { handler: clientMux });
  const [answer] = await (await raw.peer(0)).waitFrames(1);
  // bidi.c2s.bin, second frame: length 23, id 2, flags 0, cmd 4, "client resp"
  assert.is((await raw.peer(0)).received.toString('hex'), '00000017' + '0000000000000002' + '00' + '000004' + Buffer.from('client resp').toString('hex'));
  assert.is(answer.requestId, 2n);
  await conn.close();
  await raw.close();
});

test('server streams a request to the client and reads its streamed answer', async () => {
  const serverMux = new ServeMux();
  let collected = null;
  serverMux.handle(1, async (w, req) => {
    const { writer, response } = req.connection.streamRequest(20, Flags.NB, 'one');
    await writer.end('two');
    const parts = [];
    for await (const f of response.frames()) parts.push(f.payload.toString());
    collected = parts;
    await w.reply(req.requestId, 1, 'ok');
  });
  const clientMux = new ServeMux();
  clientMux.handle(20, async (w, req) => {
    const got = [req.payload.toString()];
    for await (const f of req.frames()) got.push(f.payload.toString());
    await w.startWrite(req.requestId, 20, Flags.Stream).writeBytes(got.join(',')).endWrite();
    await w.startWrite(req.requestId, 20, Flags.StreamEnd).writeBytes('fin').endWrite();
  });
  const { server, addr } = await startServer(serverMux);
  const conn = await connect(addr, { handler: clientMux });
  await conn.call(1, '');
  assert.equal(collected, ['one,two', 'fin']);
  await conn.close();
  await server.shutdown({ timeoutMs: 200 });
});

test('a client without a handler treats a server request as a protocol error and closes', async () => {
  const raw = await rawServer((peer) => peer.sendFrame(2, Flags.NB, 4, Buffer.from('x')));
  const conn = await connect(`127.0.0.1:${raw.port}`);
  await conn.closed;
  const err = await rejection(conn.call(0, 'x'));
  assert.is(err.code, 'ERR_CONN_CLOSED');
  assert.is(err.cause?.code, 'ERR_PROTOCOL');
  await raw.close();
});

test('a blocking server request to a client is a protocol error (Go requires NB)', async () => {
  const clientMux = new ServeMux();
  clientMux.handle(4, (w, req) => w.reply(req.requestId, 4, 'x'));
  const raw = await rawServer((peer) => peer.sendFrame(2, 0, 4, Buffer.from('x')));
  const conn = await connect(`127.0.0.1:${raw.port}`, { handler: clientMux });
  await (await raw.peer(0)).waitClose();
  await conn.closed;
  assert.is((await raw.peer(0)).received.length, 0);
  await raw.close();
});

test('the server fails its pending call when the client disconnects', async () => {
  const serverMux = new ServeMux();
  const failure = deferred();
  serverMux.handle(1, async (w, req) => {
    failure.resolve(await rejection(req.connection.call(4, 'never answered')));
  });
  const clientMux = new ServeMux();
  const reached = deferred();
  clientMux.handle(4, () => (reached.resolve(), new Promise(() => {})));
  const { server, addr } = await startServer(serverMux);
  const conn = await connect(addr, { handler: clientMux });
  conn.request(1, Flags.NB, '');
  await reached.promise; // the server's call is pending at the client
  await conn.close();
  assert.is((await failure.promise).code, 'ERR_CONN_CLOSED');
  await server.shutdown({ timeoutMs: 200 });
});

test.run();
