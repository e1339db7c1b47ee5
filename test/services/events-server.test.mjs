// Server as an EventEmitter: connect, disconnect, push, error (only when heard), close.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { ServeMux, connect, silentLogger } from '../../dist/index.js';
import { startServer, rejection } from '../helpers.mjs';

function mux() {
  const m = new ServeMux();
  m.handle(1, (w, req) => w.reply(req.requestId, 2, 'ok'));
  m.handle(3, () => { throw new Error('boom'); });
  return m;
}

test('connect, push, disconnect and close events, alongside the binding callbacks', async () => {
  const seen = [];
  const { server, addr } = await startServer(mux(), { onPush: (f) => seen.push(['onPush', f.payload.toString()]) }, { logger: silentLogger });
  server.on('connect', (info) => seen.push(['connect', typeof info.remoteAddress]));
  server.on('push', (f, info) => seen.push(['push', f.cmd, f.payload.toString(), info.bindingIndex]));
  server.on('disconnect', (info, error) => seen.push(['disconnect', error]));
  const conn = await connect(addr);
  const pushed = once(server, 'push');
  await conn.push(7, 'hi');
  await pushed;
  const gone = once(server, 'disconnect');
  await conn.close();
  await gone;
  const closed = once(server, 'close');
  await server.shutdown({ timeoutMs: 500 });
  await closed;
  assert.equal(seen, [['connect', 'string'], ['onPush', 'hi'], ['push', 7, 'hi', 0], ['disconnect', null]]);
});

test("a failing handler is an 'error' event (ERR_HANDLER, cause kept) when listened to", async () => {
  const { server, addr } = await startServer(mux(), {}, { logger: silentLogger });
  const conn = await connect(addr);
  const heard = once(server, 'error');
  assert.is((await rejection(conn.call(3, ''))).code, 'ERR_STREAM_RESET');
  const [error, info] = await heard;
  assert.is(error.code, 'ERR_HANDLER');
  assert.is(error.cause.message, 'boom');
  assert.is(info.bindingIndex, 0);
  await conn.close();
  await server.shutdown({ timeoutMs: 500 });
});

test("without an 'error' listener a failing handler does not throw: the server keeps serving", async () => {
  const { server, addr } = await startServer(mux(), {}, { logger: silentLogger });
  assert.is(server.listenerCount('error'), 0);
  const conn = await connect(addr);
  assert.is((await rejection(conn.call(3, ''))).code, 'ERR_STREAM_RESET');
  assert.is((await conn.call(1, '')).payload.toString(), 'ok');
  await conn.close();
  await server.shutdown({ timeoutMs: 500 });
});

test('a listener that throws is logged; the connection it was told about is served as usual', async () => {
  const logged = [];
  const logger = { ...silentLogger, error: (fields, msg) => logged.push([msg, fields.event, fields.err.message]) };
  const { server, addr } = await startServer(mux(), {}, { logger });
  server.on('connect', () => { throw new Error('listener bug'); });
  const conn = await connect(addr);
  assert.is((await conn.call(1, '')).payload.toString(), 'ok');
  assert.equal(logged, [["qrpc: a 'connect' listener threw", 'connect', 'listener bug']]);
  await conn.close();
  await server.shutdown({ timeoutMs: 500 });
});

test.run();
