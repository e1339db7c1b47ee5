// The public objects expose the documented API only (issue 8 §5): ConnectionInfo,
// the client Connection and RequestFrame wrap the engine instead of being it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as api from '../../dist/index.js';
import { ConnectionInfo, Connection, ServeMux, connect } from '../../dist/index.js';
import { startServer, rejection, deferred } from '../helpers.mjs';

const ENGINE = ['sendFrame', 'onFrame', 'onDrain', 'beginDrain', 'whenIdle', 'resetServedAndClose', 'transport', 'fail', 'start', 'closeWithNotice', 'abortCall', 'whenDrained'];

/** Every property name reachable on the object and its prototype chain below Object.prototype. */
function allNames(obj) {
  const names = new Set();
  for (let o = obj; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) for (const n of Object.getOwnPropertyNames(o)) names.add(n);
  return names;
}

test('the engine is not exported', () => {
  assert.is(api.Session, undefined);
  assert.is(api.SessionState, undefined);
});

test('req.connection is the ConnectionInfo, with no engine members; onClose(null) is refused and changes nothing', async () => {
  const seen = deferred();
  const mux = new ServeMux();
  mux.handle(1, (w, req) => {
    seen.resolve(req);
    return w.reply(req.requestId, 1, 'ok');
  });
  mux.handle(2, (w, req) => w.reply(req.requestId, 2, 'still open'));
  const { server, addr } = await startServer(mux);
  const conn = await connect(addr);
  try {
    await conn.call(1, 'x');
    const req = await seen.promise;
    const info = req.connection;
    assert.ok(info instanceof ConnectionInfo);
    const names = allNames(info);
    for (const n of ENGINE) assert.not.ok(names.has(n), `ConnectionInfo has no ${n}`);
    for (const n of ['setId', 'id', 'data', 'onClose', 'remoteAddress', 'server', 'setReadTimeout', 'push', 'call', 'request', 'streamRequest', 'reset', 'close', 'closed', 'isClosed']) {
      assert.ok(names.has(n) || n in info, `ConnectionInfo has ${n}`);
    }
    assert.throws(() => info.onClose(null), (e) => e.code === 'ERR_INVALID_ARG');
    assert.is(info.isClosed, false);
    // The connection still works both ways after the refused call.
    assert.is((await conn.call(2)).payload.toString(), 'still open');
    for (const n of ['pushContinuation', 'cancel']) assert.is(typeof req[n], 'function', `internal ${n} stays callable for the engine`);
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('the client Connection has no engine members', async () => {
  const { server, addr } = await startServer(new ServeMux().handle(0, (w, req) => w.reply(req.requestId, 0, 'x')));
  const conn = await connect(addr);
  try {
    assert.ok(conn instanceof Connection);
    const names = allNames(conn);
    for (const n of ENGINE) assert.not.ok(names.has(n), `Connection has no ${n}`);
    // A server → client call's req.connection is the client Connection.
    const got = deferred();
    const conn2 = await connect(addr, { handler: new ServeMux().handle(5, (w, req) => (got.resolve(req.connection), w.reply(req.requestId, 5, 'y'))) });
    const infos = [];
    server.walkConn(0, (c) => void infos.push(c));
    await Promise.all(infos.map((i) => i.call(5).catch(() => null)));
    assert.is(await got.promise, conn2);
    await conn2.close();
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('a ConnectionInfo refuses bad arguments with ERR_INVALID_ARG', async () => {
  const seen = deferred();
  const { server, addr } = await startServer(new ServeMux().handle(1, (w, req) => (seen.resolve(req.connection), w.reply(req.requestId, 1))));
  const conn = await connect(addr);
  try {
    await conn.call(1);
    const info = await seen.promise;
    await assert.is((await rejection(info.setId(42))).code, 'ERR_INVALID_ARG');
    assert.throws(() => info.setReadTimeout(-1), (e) => e.code === 'ERR_INVALID_ARG');
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test.run();
