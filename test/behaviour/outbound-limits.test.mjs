// Writes that cannot reach the wire fail locally and send nothing (issue 8 §3):
// frames over maxFrameSize, lengths that would wrap 32 bits, writes after close,
// and bad arguments (ERR_INVALID_ARG naming what was passed).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Buffer } from 'node:buffer';
import { QrpcError, ServeMux, connect, Flags } from '../../dist/index.js';
import { startServer, rawServer, rejection, deferred } from '../helpers.mjs';

const echo = () => new ServeMux().handle(0, (w, req) => w.reply(req.requestId, 0, req.payload));

test('a call over the client maxFrameSize fails with ERR_FRAME_TOO_LARGE; nothing is sent, no id is used, the connection stays', async () => {
  const raw = await rawServer(() => {});
  const conn = await connect(`127.0.0.1:${raw.port}`, { maxFrameSize: 1024 });
  try {
    const err = await rejection(conn.call(0, Buffer.alloc(1024 - 12 + 1)));
    assert.ok(err instanceof QrpcError);
    assert.is(err.code, 'ERR_FRAME_TOO_LARGE');
    assert.is((await rejection(conn.push(0, Buffer.alloc(2000)))).code, 'ERR_FRAME_TOO_LARGE');
    assert.throws(() => conn.streamRequest(0, 0, Buffer.alloc(2000)), (e) => e.code === 'ERR_FRAME_TOO_LARGE');
    void conn.call(0, Buffer.alloc(1024 - 12)).catch(() => {}); // exactly at the limit: sent
    const [first] = await (await raw.peer(0)).waitFrames(1);
    assert.equal([first.requestId, first.payload.length], [3n, 1012], 'the first frame on the wire is the one at the limit');
    assert.is(conn.isConnected, true);
  } finally {
    await conn.close();
    await raw.close();
  }
});

test('a payload whose length would wrap the 32-bit field fails locally even with a huge maxFrameSize', async () => {
  const raw = await rawServer(() => {});
  const conn = await connect(`127.0.0.1:${raw.port}`, { maxFrameSize: 2 ** 40 });
  try {
    const huge = Buffer.allocUnsafe(2 ** 32); // virtual memory only: its pages are never touched
    assert.is((await rejection(conn.call(0, huge))).code, 'ERR_FRAME_TOO_LARGE');
  } finally {
    await conn.close();
    await raw.close();
  }
});

test('a handler reply over maxFrameSize rejects, sends nothing of it, and the caller gets a reset instead of a hang', async () => {
  const replied = deferred();
  const mux = new ServeMux().handle(0, async (w, req) => {
    replied.resolve(await rejection(w.reply(req.requestId, 0, Buffer.alloc(5000))));
  });
  const { server, addr } = await startServer(mux, { maxFrameSize: 4096 });
  const conn = await connect(addr);
  try {
    const err = await rejection(conn.call(0, 'big please'));
    assert.is(err.code, 'ERR_STREAM_RESET');
    assert.is((await replied.promise).code, 'ERR_FRAME_TOO_LARGE');
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('pushAll / pushToIds over maxFrameSize throw ERR_FRAME_TOO_LARGE and reach nobody', async () => {
  const { server, addr } = await startServer(echo(), { maxFrameSize: 256 });
  const pushes = [];
  const conn = await connect(addr, { onPush: (f) => pushes.push(f) });
  try {
    await conn.call(0, 'hi');
    assert.throws(() => server.pushAll(0, 7, Buffer.alloc(300)), (e) => e.code === 'ERR_FRAME_TOO_LARGE');
    server.pushAll(0, 8, 'small');
    assert.is((await conn.call(0, 'after')).payload.toString(), 'after');
    assert.equal(pushes.map((f) => f.cmd), [8], 'only the small push arrived');
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('writes after close() reject with ERR_CONN_CLOSED (server and client side)', async () => {
  const results = deferred();
  const mux = new ServeMux().handle(0, async (w, req) => {
    req.connection.close();
    const errs = [await rejection(w.reply(req.requestId, 0, 'late')), await rejection(req.connection.push(1, 'late push'))];
    results.resolve(errs.map((e) => e.code));
  });
  const { server, addr } = await startServer(mux);
  const conn = await connect(addr);
  try {
    void conn.call(0, 'x').catch(() => {});
    assert.equal(await results.promise, ['ERR_CONN_CLOSED', 'ERR_CONN_CLOSED']);
    const c2 = await connect(addr);
    const closing = c2.close();
    assert.is((await rejection(c2.push(0, 'x'))).code, 'ERR_CONN_CLOSED');
    assert.is((await rejection(c2.call(0, 'x'))).code, 'ERR_CONN_CLOSED');
    await closing;
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('bad arguments fail with ERR_INVALID_ARG and a message that names what was passed', async () => {
  const { server, addr } = await startServer(echo());
  const conn = await connect(addr);
  try {
    const invalid = (fn, mentions) =>
      assert.throws(fn, (e) => e instanceof QrpcError && e.code === 'ERR_INVALID_ARG' && e.message.includes(mentions), `ERR_INVALID_ARG mentioning ${mentions}`);
    invalid(() => server.pushToIds(0, 'bob', 1, 'x'), 'the string "bob"');
    invalid(() => server.walkConnByIds(0, 'bob', () => {}), 'the string "bob"');
    invalid(() => server.pushAll(0, 1, 12345), 'number 12345');
    const e1 = await rejection(conn.call(0, { text: 'hi' }));
    assert.is(e1.code, 'ERR_INVALID_ARG');
    assert.match(e1.message, /an object \(Object\)/);
    assert.is((await rejection(conn.call(0, 'x', { flags: 'NB' }))).code, 'ERR_INVALID_ARG');
    assert.is((await rejection(conn.push(0, 42))).code, 'ERR_INVALID_ARG');
    assert.is((await rejection(conn.reset(3))).code, 'ERR_INVALID_ARG');
    invalid(() => conn.request(0, 1.5, 'x'), 'number 1.5');
    assert.is((await conn.call(0, 'still fine')).payload.toString(), 'still fine');
    // Handler-side writer arguments.
    const seen = deferred();
    const { server: s2, addr: a2 } = await startServer(
      new ServeMux().handle(0, (w, req) => {
        const codes = [];
        for (const f of [() => w.reply('3', 0, 'x'), () => w.reply(req.requestId, 0, 7), () => w.startWrite(3, 0)]) {
          try {
            f();
          } catch (e) {
            codes.push(e.code);
          }
        }
        seen.resolve(codes);
        return w.reply(req.requestId, 0, 'ok');
      }),
    );
    const c2 = await connect(a2);
    await c2.call(0);
    assert.equal(await seen.promise, ['ERR_INVALID_ARG', 'ERR_INVALID_ARG', 'ERR_INVALID_ARG']);
    await c2.close();
    await s2.shutdown({ timeoutMs: 200 });
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('a host that does not resolve rejects with a QrpcError (ERR_CONNECT), never a plain Error', async () => {
  const err = await rejection(connect('no-such-host.invalid:4000', { connectTimeoutMs: 5000 }));
  assert.ok(err instanceof QrpcError, `${err?.name}: ${err?.message}`);
  assert.is(err.code, 'ERR_CONNECT');
});

test.run();
