// The `metrics` hooks of a binding and of a client: what each one is told, with exact byte counts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, Server, Flags, connect, silentLogger, ResetReason } from '../../dist/index.js';
import { startServer, until, rejection, deferred } from '../helpers.mjs';

/** Records every hook call (seconds only checked for being a finite number >= 0: no timing assertions). */
function recorder() {
  const r = {
    requests: [], resets: [], pushes: [], byteCount: { in: 0, out: 0 }, opened: 0, closed: [], kicks: 0,
    request(cmd, outcome, seconds) {
      assert.ok(Number.isFinite(seconds) && seconds >= 0, `seconds ${seconds}`);
      this.requests.push([cmd, outcome]);
    },
    reset(direction, reason) { this.resets.push([direction, reason]); },
    push(direction, count) { this.pushes.push([direction, count]); },
    bytes(direction, count) { this.byteCount[direction] += count; },
    connectionOpened() { this.opened++; },
    connectionClosed(code) { this.closed.push(code); },
    kick() { this.kicks++; },
  };
  return r;
}

function mux() {
  const m = new ServeMux();
  m.handle(1, (w, req) => w.reply(req.requestId, 2, 'ok:' + req.payload)); // answered
  m.handle(3, () => { throw new Error('boom'); });                           // fails
  m.handle(4, () => {});                                                     // ends without an answer
  m.handle(7, (w, req) => new Promise((resolve) => req.signal.addEventListener('abort', resolve)));
  m.handle(5, async (w, req) => { await req.connection.push(9, 'p'); await w.reply(req.requestId, 2, ''); });
  return m;
}

test('server and client hooks: outcomes by cmd, exact frame bytes both ways, connections', async () => {
  const s = recorder();
  const c = recorder();
  const { server, addr } = await startServer(mux(), { metrics: s }, { logger: silentLogger });
  const conn = await connect(addr, { metrics: c, logger: silentLogger });
  assert.is((await conn.call(1, 'abc')).payload.toString(), 'ok:abc');
  assert.is((await rejection(conn.call(3, ''))).code, 'ERR_STREAM_RESET');
  assert.is((await rejection(conn.call(4, ''))).code, 'ERR_STREAM_RESET');
  const unknown = await rejection(conn.call(77, 'zz'));
  assert.is(unknown.reason, ResetReason.UnknownCmd);
  await until(() => s.requests.length === 4, 'server requests');
  assert.equal(s.requests, [[1, 'ok'], [3, 'error'], [4, 'reset'], [77, 'unknown_cmd']]);
  assert.equal(c.requests, [[1, 'ok'], [3, 'ERR_STREAM_RESET'], [4, 'ERR_STREAM_RESET'], [77, 'ERR_STREAM_RESET']]);
  // Requests: 16-byte headers + payloads 'abc', '', '', 'zz'; answers: 'ok:abc' and three empty resets.
  const requestBytes = 4 * 16 + 3 + 2;
  const answerBytes = 4 * 16 + 6;
  assert.equal(s.byteCount, { in: requestBytes, out: answerBytes });
  assert.equal(c.byteCount, { in: answerBytes, out: requestBytes });
  assert.equal(s.resets, [['out', 0], ['out', 0], ['out', ResetReason.UnknownCmd]]);
  assert.equal(c.resets, [['in', 0], ['in', 0], ['in', ResetReason.UnknownCmd]]);
  assert.is(s.opened, 1);
  assert.is(c.opened, 1);
  await conn.close();
  await until(() => s.closed.length === 1, 'server close hook');
  assert.equal(c.closed, [null]);
  assert.equal(s.closed, [null], 'an orderly close has no error code');
  await server.shutdown({ timeoutMs: 500 });
});

test('pushes both ways, a broadcast counts each recipient, a peer reset is counted in', async () => {
  const s = recorder();
  const c = recorder();
  const gotPush = deferred();
  const { server, addr } = await startServer(mux(), { metrics: s, onPush: () => gotPush.resolve() });
  const a = await connect(addr, { metrics: c, onPush: () => {} });
  const b = await connect(addr, { onPush: () => {} });
  await a.call(5, '');
  await a.push(8, 'up');
  await gotPush.promise;
  await until(() => server.stats(0).connections === 2);
  assert.is(server.pushAll(0, 6, 'all'), 2);
  await until(() => c.pushes.length === 3, 'client pushes');
  assert.equal(s.pushes, [['out', 1], ['in', 1], ['out', 2]]);
  assert.equal(c.pushes, [['in', 1], ['out', 1], ['in', 1]]);
  // The broadcast frame (16 + 3) counted once per recipient.
  const before = s.byteCount.out;
  server.pushAll(0, 6, 'xyz');
  assert.is(s.byteCount.out - before, 2 * 19);
  // A reset from the client, of a request whose handler waits for it.
  const { requestId, response } = a.request(7, Flags.NB, '');
  const failed = rejection(response.frame());
  await a.reset(requestId);
  assert.is((await failed).code, 'ERR_STREAM_RESET');
  await until(() => s.resets.some(([d]) => d === 'in'), 'reset in');
  assert.equal(s.resets.filter(([d]) => d === 'in'), [['in', 0]]);
  assert.equal(c.resets.filter(([d]) => d === 'out'), [['out', 0]]);
  await a.close();
  await b.close();
  await server.shutdown({ timeoutMs: 500 });
});

test('kicks and error close codes', async () => {
  const s = recorder();
  const m = new ServeMux();
  m.handle(1, async (w, req) => {
    await req.connection.setId('same');
    await w.reply(req.requestId, 2, '');
  });
  const { server, addr } = await startServer(m, { metrics: s }, { logger: silentLogger });
  const first = await connect(addr, { logger: silentLogger });
  const second = await connect(addr, { logger: silentLogger });
  await first.call(1, '');
  await second.call(1, '');
  await first.closed;
  await until(() => s.closed.length === 1, 'kicked close');
  assert.is(s.kicks, 1);
  assert.equal(s.closed, ['ERR_KICKED']);
  await second.close();
  await server.shutdown({ timeoutMs: 500 });
});

test('a bad metrics option is refused with ERR_INVALID_ARG', async () => {
  const m = new ServeMux();
  for (const metrics of ['yes', { request: 42 }]) {
    try {
      new Server([{ addr: '127.0.0.1:0', handler: m, metrics }]);
      assert.unreachable('accepted');
    } catch (err) {
      assert.is(err.code, 'ERR_INVALID_ARG');
      assert.match(err.message, /binding 0: metrics/);
    }
  }
  const err = await rejection(connect('127.0.0.1:1', { metrics: { bytes: 'x' } }));
  assert.is(err.code, 'ERR_INVALID_ARG');
});

test('hooks of a class instance keep their `this`; missing hooks are fine', async () => {
  class Counting {
    n = 0;
    request() { this.n++; }
  }
  const hooks = new Counting();
  const { server, addr } = await startServer(mux(), { metrics: hooks });
  const conn = await connect(addr);
  await conn.call(1, '');
  await until(() => hooks.n === 1);
  await conn.close();
  await server.shutdown({ timeoutMs: 500 });
});

test.run();
