// Client Connection as an EventEmitter: connect, push, disconnect, error (only when heard), close.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { ServeMux, connect, silentLogger } from '../../dist/index.js';
import { startServer } from '../helpers.mjs';

function loginMux() {
  const m = new ServeMux();
  m.handle(1, async (w, req) => {
    await req.connection.setId('same');
    await req.connection.push(5, 'welcome');
    await w.reply(req.requestId, 2, '');
  });
  return m;
}

test('push, disconnect(error), error and close events; the option callbacks still run', async () => {
  const { server, addr } = await startServer(loginMux(), {}, { logger: silentLogger });
  const seen = [];
  const first = await connect(addr, { logger: silentLogger, onPush: (f) => seen.push(['onPush', f.cmd]) });
  first.on('push', (f) => seen.push(['push', f.cmd, f.payload.toString()]));
  first.on('disconnect', (error) => seen.push(['disconnect', error?.code]));
  first.on('error', (error) => seen.push(['error', error.code]));
  first.on('close', () => seen.push(['close']));
  await first.call(1, '');
  const second = await connect(addr, { logger: silentLogger, onPush: () => {} });
  await second.call(1, ''); // kicks `first`
  await first.closed; // (events.once(first, 'close') would reject on the 'error' event that comes first)
  assert.equal(seen, [['onPush', 5], ['push', 5, 'welcome'], ['disconnect', 'ERR_KICKED'], ['error', 'ERR_KICKED'], ['close']]);
  await second.close();
  await server.shutdown({ timeoutMs: 500 });
});

test("a socket closing with an error and no 'error' listener does not throw", async () => {
  const { server, addr } = await startServer(loginMux(), {}, { logger: silentLogger });
  const first = await connect(addr, { logger: silentLogger, onPush: () => {} });
  await first.call(1, '');
  const second = await connect(addr, { logger: silentLogger, onPush: () => {} });
  const disconnected = once(first, 'disconnect');
  await second.call(1, '');
  const [error] = await disconnected;
  assert.is(error.code, 'ERR_KICKED');
  assert.is(first.listenerCount('error'), 0);
  await first.closed;
  await second.close();
  await server.shutdown({ timeoutMs: 500 });
});

test("'connect' fires for every socket of a reconnecting connection", async () => {
  const m = new ServeMux();
  m.handle(1, (w, req) => w.reply(req.requestId, 2, 'ok'));
  const one = await startServer(m);
  const conn = await connect(one.addr, { reconnect: { backoffMs: 10 }, logger: silentLogger });
  let connects = 0;
  conn.on('connect', () => connects++);
  const again = once(conn, 'connect');
  // The server closes this socket; the client dials again (same address, same server still listening).
  one.server.walkConn(0, (info) => info.close());
  await again;
  assert.is(connects, 1);
  assert.is((await conn.call(1, '')).payload.toString(), 'ok');
  await conn.close();
  await one.server.shutdown({ timeoutMs: 500 });
});

test.run();
