// Lifecycle (protocol.md §10, issue 2 point 12): server onAccept (can reject)
// and onClose, client onConnect / onDisconnect, pending calls failing on
// close, the reconnecting client over several addresses, whileDisconnected
// 'fail' vs 'wait', close() stopping reconnection, connect errors.
import net from 'node:net';
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Server, ServeMux, connect, encodeFrame, Flags } from '../../dist/index.js';
import { startServer, helloMux, RawPeer, until, rejection, deferred } from '../helpers.mjs';

/** A port nothing listens on (bound then released). */
function deadPort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A server answering cmd 0 with its name. */
function namedMux(name) {
  const mux = new ServeMux();
  mux.handle(0, (w, req) => w.reply(req.requestId, 0, name));
  return mux;
}

/** A client logger that collects the errors of failed reconnect attempts (logged at debug): one event per failed dial. */
function attemptLog() {
  const failed = [];
  const noop = () => {};
  const debug = (obj) => {
    if (obj?.err?.code === 'ERR_CONNECT') failed.push(obj.err);
  };
  return { failed, logger: { debug, info: noop, warn: noop, error: noop } };
}

async function namedServer(name, port = 0) {
  const server = new Server([{ addr: `127.0.0.1:${port}`, handler: namedMux(name) }]);
  await server.listen();
  return { server, port: server.address(0).port, addr: `127.0.0.1:${server.address(0).port}` };
}

test('onAccept returning false rejects: the peer sees a close, nothing is read or answered, no handler runs, stats().rejected counts', async () => {
  let handled = 0;
  const accepted = [];
  const mux = new ServeMux();
  mux.handle(0, (w, req) => {
    handled++;
    return w.reply(req.requestId, 0, 'no');
  });
  const closes = [];
  const { server, port, addr } = await startServer(mux, {
    onAccept: (conn) => {
      accepted.push({ remoteAddress: conn.remoteAddress, remotePort: conn.remotePort });
      return false;
    },
    onClose: (c, e) => closes.push(e),
  });
  const peer = await RawPeer.connect(port);
  const localPort = peer.socket.localPort;
  try {
    peer.sendFrame(3, 0, 0, 'x');
    await peer.waitClose();
    assert.is(peer.received.length, 0);
    assert.is(accepted.length, 1);
    assert.is(accepted[0].remoteAddress, '127.0.0.1');
    assert.is(accepted[0].remotePort, localPort, 'onAccept sees the peer address');

    const disconnects = [];
    const conn = await connect(addr, { onDisconnect: (_c, e) => disconnects.push(e) });
    const err = await rejection(conn.call(0, 'y'));
    assert.is(err.code, 'ERR_CONN_CLOSED');
    await conn.closed;
    assert.is(disconnects.length, 1, 'the client sees the rejection as a disconnect');
    assert.is(handled, 0, 'no handler ran');
    const stats = server.stats();
    assert.is(stats.rejected, 2);
    assert.is(stats.accepted, 0);
    assert.is(stats.connections, 0);
    assert.is(closes.length, 0, 'onClose is for accepted connections only');
  } finally {
    peer.destroy();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('onAccept returning true (or nothing) accepts; onAccept that throws rejects', async () => {
  let mode = 'true';
  const { server, addr } = await startServer(helloMux(), {
    onAccept: () => {
      if (mode === 'true') return true;
      if (mode === 'void') return undefined;
      throw new Error('onAccept failed');
    },
  });
  try {
    for (const m of ['true', 'void']) {
      mode = m;
      const c = await connect(addr);
      assert.is((await c.call(0, m)).payload.toString(), `hello world ${m}`);
      await c.close();
    }
    mode = 'throw';
    const c = await connect(addr);
    assert.is((await rejection(c.call(0, 'z'))).code, 'ERR_CONN_CLOSED');
    await c.close();
    assert.is(server.stats().accepted, 2);
    assert.is(server.stats().rejected, 1);
  } finally {
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('server onClose runs once per connection with the ConnectionInfo the handlers saw (null error on an orderly client close)', async () => {
  const seen = [];
  const closes = [];
  const mux = new ServeMux();
  mux.handle(0, (w, req) => {
    seen.push(req.connection);
    return w.reply(req.requestId, 0, 'ok');
  });
  const { server, addr } = await startServer(mux, { onClose: (conn, err) => closes.push({ conn, err }) });
  try {
    const a = await connect(addr);
    const b = await connect(addr);
    await a.call(0);
    await b.call(0);
    await a.close();
    await until(() => closes.length === 1, 'onClose for a');
    assert.is(closes[0].conn, seen[0]);
    assert.is(closes[0].err, null);
    assert.is(closes[0].conn.isClosed, true);
    assert.is(server.stats().connections, 1);
    await b.close();
    await until(() => closes.length === 2, 'onClose for b');
    assert.is(closes[1].conn, seen[1]);
    assert.is(server.stats().connections, 0);
  } finally {
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('client onConnect runs once the connection is usable; onDisconnect runs once when the server closes it', async () => {
  const events = [];
  const mux = helloMux();
  mux.handle(9, (w, req) => {
    req.close();
  });
  const { server, addr } = await startServer(mux);
  let conn;
  try {
    conn = await connect(addr, {
      onConnect: (c) => events.push({ ev: 'connect', same: c === conn || conn === undefined, connected: c.isConnected }),
      onDisconnect: (c, err) => events.push({ ev: 'disconnect', err: err?.code ?? null, connected: c.isConnected }),
    });
    assert.equal(events, [{ ev: 'connect', same: true, connected: true }]);
    assert.is((await conn.call(0, 'a')).payload.toString(), 'hello world a');
    const err = await rejection(conn.call(9));
    assert.is(err.code, 'ERR_CONN_CLOSED');
    await conn.closed;
    assert.is(events.length, 2);
    assert.equal(events[1], { ev: 'disconnect', err: null, connected: false });
    assert.is(conn.isClosed, true);
    assert.is((await rejection(conn.call(0, 'b'))).code, 'ERR_CONN_CLOSED', 'calls after the close fail');
  } finally {
    await conn?.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('a connection close fails every pending call (blocking and non-blocking) with ERR_CONN_CLOSED', async () => {
  const gate = deferred();
  let entered = 0;
  const mux = new ServeMux();
  mux.handle(1, async (w, req) => {
    entered++;
    await gate.promise;
  });
  const { server, addr } = await startServer(mux);
  const conn = await connect(addr);
  try {
    const nb = [conn.call(1, 'a'), conn.call(1, 'b'), conn.call(1, 'c')];
    const blocking = conn.request(1, 0, 'd').response.frame();
    await until(() => entered === 4, 'handlers running');
    server.walkConn(0, (c) => c.close());
    const results = await Promise.allSettled([...nb, blocking]);
    for (const r of results) {
      assert.is(r.status, 'rejected');
      assert.is(r.reason.code, 'ERR_CONN_CLOSED');
    }
  } finally {
    gate.resolve();
    await conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('a streamed answer in progress fails with ERR_CONN_CLOSED when the connection closes', async () => {
  const mux = new ServeMux();
  mux.handle(1, async (w, req) => {
    await w.startWrite(req.requestId, 1, Flags.Stream).writeBytes('part').endWrite();
    req.close();
  });
  const { server, addr } = await startServer(mux);
  const conn = await connect(addr);
  try {
    const { response } = conn.request(1, Flags.NB, 'x');
    const parts = [];
    let error = null;
    try {
      for await (const f of response.frames()) parts.push(f.payload.toString());
    } catch (err) {
      error = err;
    }
    assert.equal(parts, ['part']);
    assert.is(error?.code, 'ERR_CONN_CLOSED');
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('reconnecting client: with a dead and a live address it connects to the live one', async () => {
  const live = await namedServer('live');
  const dead = await deadPort();
  const conns = [];
  try {
    for (let i = 0; i < 4; i++) {
      // Shuffled: whichever order, it ends up on the live server.
      const c = await connect([`127.0.0.1:${dead}`, live.addr], { reconnect: { backoffMs: 50 } });
      conns.push(c);
      assert.is((await c.call(0)).payload.toString(), 'live');
    }
    const fixed = await connect([`127.0.0.1:${dead}`, live.addr], { reconnect: { backoffMs: 50, shuffle: false } });
    conns.push(fixed);
    assert.is((await fixed.call(0)).payload.toString(), 'live');
  } finally {
    for (const c of conns) await c.close();
    await live.server.shutdown({ timeoutMs: 500 });
  }
});

test('reconnecting client moves to the other server when the one it is on goes away, firing onConnect again', async () => {
  const a = await namedServer('A');
  const b = await namedServer('B');
  const servers = { A: a, B: b };
  const events = [];
  const conn = await connect([a.addr, b.addr], {
    reconnect: { backoffMs: 50 },
    onConnect: () => events.push('connect'),
    onDisconnect: () => events.push('disconnect'),
  });
  try {
    const first = (await conn.call(0)).payload.toString();
    assert.equal(events, ['connect']);
    await servers[first].server.shutdown({ timeoutMs: 500 });
    await until(() => events.length === 3, 'disconnect then connect');
    assert.equal(events, ['connect', 'disconnect', 'connect']);
    const second = (await conn.call(0)).payload.toString();
    assert.is(second, first === 'A' ? 'B' : 'A', 'now on the other server');
    assert.is(conn.isClosed, false);
  } finally {
    await conn.close();
    await a.server.shutdown({ timeoutMs: 500 });
    await b.server.shutdown({ timeoutMs: 500 });
  }
});

test("whileDisconnected 'fail': a call while reconnecting fails fast with ERR_NOT_CONNECTED; after the server is back calls work", async () => {
  let s = await namedServer('one');
  const port = s.port;
  const events = [];
  const conn = await connect(s.addr, {
    reconnect: { backoffMs: 50 },
    whileDisconnected: 'fail',
    onConnect: () => events.push('connect'),
    onDisconnect: () => events.push('disconnect'),
  });
  try {
    assert.is((await conn.call(0)).payload.toString(), 'one');
    await s.server.shutdown({ timeoutMs: 500 });
    await until(() => events.includes('disconnect'), 'disconnect');
    assert.is(conn.isConnected, false);
    assert.is(conn.isClosed, false, 'a reconnecting connection is not closed');
    const err = await rejection(conn.call(0));
    assert.is(err.code, 'ERR_NOT_CONNECTED');
    assert.throws(() => conn.request(0, 0, 'x'), (e) => e.code === 'ERR_NOT_CONNECTED');
    s = await namedServer('two', port);
    await until(() => events.filter((e) => e === 'connect').length === 2, 'reconnected');
    assert.is((await conn.call(0)).payload.toString(), 'two');
  } finally {
    await conn.close();
    await s.server.shutdown({ timeoutMs: 500 });
  }
});

test("whileDisconnected 'wait': a call issued while disconnected completes after the reconnect", async () => {
  let s = await namedServer('before');
  const port = s.port;
  const events = [];
  const attempts = attemptLog();
  const conn = await connect(s.addr, {
    reconnect: { backoffMs: 50 },
    whileDisconnected: 'wait',
    logger: attempts.logger,
    onConnect: () => events.push('connect'),
    onDisconnect: () => events.push('disconnect'),
  });
  try {
    await s.server.shutdown({ timeoutMs: 500 });
    await until(() => events.includes('disconnect'), 'disconnect');
    const waiting = conn.call(0, 'q').then(
      (f) => (events.push('answered'), f),
      (e) => (events.push(`failed ${e.code}`), Promise.reject(e)),
    );
    waiting.catch(() => {}); // awaited below
    await until(() => attempts.failed.length >= 2, 'two failed reconnect rounds');
    assert.equal(events, ['connect', 'disconnect'], 'the call waits through failed reconnect rounds');
    s = await namedServer('after', port);
    const f = await waiting;
    assert.is(f.payload.toString(), 'after');
    assert.equal(events, ['connect', 'disconnect', 'connect', 'answered'], 'answered on the new connection');
  } finally {
    await conn.close();
    await s.server.shutdown({ timeoutMs: 500 });
  }
});

test("whileDisconnected 'wait' honours the call's timeoutMs while disconnected (ERR_TIMEOUT), keeping the process alive until then", async () => {
  // In a child process: nothing else holds the event loop, so a pending call
  // whose deadline timer does not keep the process alive would exit silently.
  const s = await namedServer('gone');
  try {
    const script = `
      import { connect } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
      const conn = await connect('${s.addr}', {
        reconnect: { backoffMs: 50 },
        whileDisconnected: 'wait',
        onDisconnect: () => process.stdout.write('disconnected\\n'),
      });
      process.stdout.write('connected\\n');
      process.stdin.once('data', async () => {
        try {
          await conn.call(0, 'x', { timeoutMs: 100 });
          console.log('RESULT answered');
        } catch (err) {
          console.log('RESULT ' + err.code);
        }
        await conn.close();
      });
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise((resolve) => child.on('close', resolve));
    await until(() => out.includes('connected'), 'child connected');
    await s.server.shutdown({ timeoutMs: 500 });
    await until(() => out.includes('disconnected'), 'the child saw the disconnect');
    child.stdin.end('go');
    await exited;
    assert.match(out, /RESULT ERR_TIMEOUT/, `child output: ${JSON.stringify(out)}`);
  } finally {
    await s.server.shutdown({ timeoutMs: 500 });
  }
});

test('close() stops reconnecting: the closed promise settles, calls fail ERR_CONN_CLOSED, a server coming back sees no connection', async () => {
  const s = await namedServer('x');
  const port = s.port;
  const attempts = attemptLog();
  const conn = await connect(s.addr, { reconnect: { backoffMs: 30 }, whileDisconnected: 'wait', logger: attempts.logger });
  // Another reconnecting client on the same address, left open: its failed rounds are the clock below.
  const clock = attemptLog();
  let clockConnects = 0;
  const other = await connect(s.addr, { reconnect: { backoffMs: 30 }, logger: clock.logger, onConnect: () => clockConnects++ });
  let back = null;
  try {
    const waitingCall = conn.call(0, 'w');
    await conn.call(0); // on the live server (waitingCall was sent while connected too)
    await waitingCall;
    await s.server.shutdown({ timeoutMs: 500 });
    await until(() => !conn.isConnected, 'disconnected');
    const pending = conn.call(0, 'during'); // waits for a connection that will never come
    pending.catch(() => {}); // inspected after close()
    await until(() => attempts.failed.length >= 2, 'a few failed rounds');
    await conn.close();
    assert.is(conn.isClosed, true);
    const err = await rejection(pending);
    assert.is(err.code, 'ERR_CONN_CLOSED', 'a call waiting for a connection fails on close()');
    assert.is((await rejection(conn.call(0))).code, 'ERR_CONN_CLOSED');
    // While the port is dead: the other client keeps failing rounds, this one makes no attempt.
    await until(() => clock.failed.length >= 1, 'a round of the other client'); // a dial in flight at close() has failed by now
    const stopped = attempts.failed.length;
    const ticks = clock.failed.length;
    await until(() => clock.failed.length >= ticks + 3, 'three more rounds of the other client');
    assert.is(attempts.failed.length, stopped, 'no reconnect attempt after close()');
    let accepted = 0;
    back = new Server([{ addr: `127.0.0.1:${port}`, handler: namedMux('back'), onAccept: () => void accepted++ }]);
    await back.listen();
    await until(() => clockConnects === 2, 'the other client reconnected');
    assert.is((await other.call(0)).payload.toString(), 'back');
    assert.is(accepted, 1, 'only the other client came back: no reconnect after close()');
  } finally {
    await conn.close();
    await other.close();
    await back?.shutdown({ timeoutMs: 500 });
  }
});

test('connect to a dead address rejects with ERR_CONNECT (one address, and all of several)', async () => {
  const p1 = await deadPort();
  const p2 = await deadPort();
  const e1 = await rejection(connect(`127.0.0.1:${p1}`));
  assert.is(e1.code, 'ERR_CONNECT');
  assert.ok(e1 instanceof Error);
  const e2 = await rejection(connect([`127.0.0.1:${p1}`, `127.0.0.1:${p2}`]));
  assert.is(e2.code, 'ERR_CONNECT');
  const e3 = await rejection(connect([`127.0.0.1:${p1}`, `127.0.0.1:${p2}`], { reconnect: { backoffMs: 20 } }));
  assert.is(e3.code, 'ERR_CONNECT', 'the first round failing rejects even with reconnect');
});

test.run();
