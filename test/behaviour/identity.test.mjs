// Connection identity (protocol.md §8, issue 2 point 9): setId binds an
// application ID, binding a held ID kicks the previous holder (onKick may
// write a last frame first), lookups by ID, walks with early stop,
// per-connection data, close notifications exactly once, and maxCloseRate.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, connect, Flags } from '../../dist/index.js';
import { startServer, until, deferred } from '../helpers.mjs';

const CMD_BIND = 1; // payload: the id to bind; reply cmd 1, payload = the id
const CMD_DATA_SET = 2; // payload stored in conn.data
const CMD_DATA_GET = 3; // reply: conn.data

function identityMux(seen = []) {
  const mux = new ServeMux();
  mux.handle(CMD_BIND, async (w, req) => {
    seen.push(req.connection);
    await req.connection.setId(req.payload.toString());
    await w.reply(req.requestId, CMD_BIND, req.payload);
  });
  mux.handle(CMD_DATA_SET, (w, req) => {
    req.connection.data = { value: req.payload.toString() };
    return w.reply(req.requestId, CMD_DATA_SET, 'ok');
  });
  mux.handle(CMD_DATA_GET, (w, req) => {
    const data = req.connection.data;
    return w.reply(req.requestId, CMD_DATA_GET, data === undefined ? '<undefined>' : data.value);
  });
  return mux;
}

/** A client that records its pushes and its disconnect. */
async function client(addr) {
  const pushes = [];
  const disconnects = [];
  const conn = await connect(addr, {
    onPush: (frame) => pushes.push({ cmd: frame.cmd, payload: frame.payload.toString(), flags: frame.flags }),
    onDisconnect: (_c, err) => disconnects.push(err),
  });
  return { conn, pushes, disconnects };
}

/**
 * A round trip to a separate server in this process: every event queued
 * before it (a stray second close notification included) has been delivered
 * once it returns. Separate, so its own connection adds no close to count.
 */
async function roundTrip() {
  const control = await startServer(identityMux());
  const c = await connect(control.addr);
  await c.call(CMD_DATA_GET);
  await c.close();
  await control.server.shutdown({ timeoutMs: 500 });
}

async function bind(c, id) {
  const f = await c.conn.call(CMD_BIND, id);
  assert.is(f.payload.toString(), id);
}

test('setId binds: getConnectionInfoById finds the connection and a push by it reaches that client only', async () => {
  const seen = [];
  const { server, addr } = await startServer(identityMux(seen));
  const a = await client(addr);
  const b = await client(addr);
  try {
    assert.is(server.getConnectionInfoById(0, 'alice'), null, 'nothing bound yet');
    await bind(a, 'alice');
    const info = server.getConnectionInfoById(0, 'alice');
    assert.ok(info !== null, 'bound id is found');
    assert.is(info, seen[0], 'the lookup returns the ConnectionInfo the handler saw');
    assert.is(info.id, 'alice');
    assert.is(info.isClosed, false);
    assert.is(server.getConnectionInfoById(0, 'bob'), null, 'an unbound id is not found');
    info.push(7, 'for-alice');
    await until(() => a.pushes.length === 1, 'push to alice');
    assert.equal(a.pushes[0], { cmd: 7, payload: 'for-alice', flags: Flags.Push });
    // b is a different connection and got nothing (check after a round trip on b).
    await b.conn.call(CMD_DATA_GET);
    assert.is(b.pushes.length, 0);
    // setId is once per connection.
    let err = null;
    try {
      await info.setId('again');
    } catch (e) {
      err = e;
    }
    assert.ok(err !== null, 'a second setId on the same connection is refused');
    assert.is(err.code, 'ERR_INVALID_ARG');
    assert.is(server.getConnectionInfoById(0, 'again'), null);
  } finally {
    await a.conn.close();
    await b.conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('binding a held id kicks the first holder: onKick writes a last frame it receives, then it closes with ERR_KICKED', async () => {
  const order = [];
  const closeErrors = [];
  const kickedState = [];
  const { server, addr } = await startServer(identityMux(), {
    onKick: (conn) => {
      order.push('kick');
      kickedState.push({ id: conn.id, closed: conn.isClosed });
      conn.push(9, 'bye');
    },
    onClose: (conn, err) => {
      order.push('close');
      closeErrors.push({ id: conn.id, code: err?.code ?? null });
    },
  });
  const first = await client(addr);
  const second = await client(addr);
  try {
    await bind(first, 'user-1');
    const firstInfo = server.getConnectionInfoById(0, 'user-1');
    const perConn = [];
    firstInfo.onClose((err) => perConn.push(err?.code ?? null));

    await bind(second, 'user-1');
    await first.conn.closed; // the kicked client sees its connection close
    await until(() => closeErrors.length === 1, 'server onClose of the kicked connection');

    assert.equal(first.pushes, [{ cmd: 9, payload: 'bye', flags: Flags.Push }], 'the last frame written by onKick arrived');
    assert.equal(kickedState, [{ id: 'user-1', closed: false }], 'onKick ran on the open, kicked connection');
    assert.equal(order, ['kick', 'close'], 'onKick runs before the close');
    assert.equal(closeErrors, [{ id: 'user-1', code: 'ERR_KICKED' }]);
    assert.equal(perConn, ['ERR_KICKED'], 'the connection onClose callback sees ERR_KICKED');
    assert.is(first.disconnects.length, 1, 'client onDisconnect ran once');

    const holder = server.getConnectionInfoById(0, 'user-1');
    assert.ok(holder !== null && holder !== firstInfo, 'the new connection holds the id');
    assert.is(holder.isClosed, false);
    assert.is(server.stats().kicked, 1);
    assert.is(server.stats().connections, 1);
    // The new holder still works.
    const f = await second.conn.call(CMD_DATA_GET);
    assert.is(f.payload.toString(), '<undefined>');
    assert.is(second.pushes.length, 0, 'the kicking client got no kick frame');
  } finally {
    await first.conn.close();
    await second.conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('an async onKick is awaited before the kicked connection closes', async () => {
  const gate = deferred();
  const { server, addr } = await startServer(identityMux(), {
    onKick: async (conn) => {
      await gate.promise;
      conn.push(11, 'late-bye');
    },
  });
  const first = await client(addr);
  const second = await client(addr);
  try {
    await bind(first, 'dev');
    const bound = bind(second, 'dev');
    await until(() => server.stats().kicked === 1, 'kick started');
    assert.is(first.conn.isConnected, true, 'still open while onKick is pending');
    gate.resolve();
    await bound;
    await first.conn.closed;
    assert.equal(first.pushes, [{ cmd: 11, payload: 'late-bye', flags: Flags.Push }]);
  } finally {
    await first.conn.close();
    await second.conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('walkConnByIds visits the bound connections in the given order, skips unknown ids and stops on false', async () => {
  const { server, addr } = await startServer(identityMux());
  const clients = [];
  try {
    for (const id of ['a', 'b', 'c']) {
      const c = await client(addr);
      clients.push(c);
      await bind(c, id);
    }
    const visited = [];
    server.walkConnByIds(0, ['c', 'nobody', 'a'], (conn) => {
      visited.push(conn.id);
    });
    assert.equal(visited, ['c', 'a']);

    const stopped = [];
    server.walkConnByIds(0, ['b', 'c', 'a'], (conn) => {
      stopped.push(conn.id);
      return false;
    });
    assert.equal(stopped, ['b'], 'returning false stops the walk');

    // Writing through the walk reaches exactly those clients.
    server.walkConnByIds(0, ['a', 'c'], (conn) => {
      conn.push(5, `to-${conn.id}`);
    });
    await until(() => clients[0].pushes.length === 1 && clients[2].pushes.length === 1, 'walk pushes');
    assert.is(clients[0].pushes[0].payload, 'to-a');
    assert.is(clients[2].pushes[0].payload, 'to-c');
    await clients[1].conn.call(CMD_DATA_GET);
    assert.is(clients[1].pushes.length, 0);
  } finally {
    for (const c of clients) await c.conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('walkConn visits every connection of the binding and stops early when the callback returns false', async () => {
  const { server, addr } = await startServer(identityMux());
  const clients = [];
  try {
    for (let i = 0; i < 4; i++) {
      const c = await client(addr);
      clients.push(c);
      await c.conn.call(CMD_DATA_SET, `c${i}`);
    }
    const all = [];
    server.walkConn(0, (conn) => {
      all.push(conn.data.value);
    });
    assert.equal(all.sort(), ['c0', 'c1', 'c2', 'c3']);

    let calls = 0;
    server.walkConn(0, () => {
      calls++;
      return false;
    });
    assert.is(calls, 1, 'returning false stops after the first connection');

    let visits = 0;
    server.walkConn(0, (conn) => {
      visits++;
      if (visits === 2) return false;
      conn.push(6, 'walked');
      return true;
    });
    assert.is(visits, 2);
    await until(() => clients.reduce((n, c) => n + c.pushes.length, 0) === 1, 'one walked push');
  } finally {
    for (const c of clients) await c.conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('data is per connection', async () => {
  const { server, addr } = await startServer(identityMux());
  const a = await client(addr);
  const b = await client(addr);
  try {
    assert.is((await a.conn.call(CMD_DATA_GET)).payload.toString(), '<undefined>', 'data starts undefined');
    await a.conn.call(CMD_DATA_SET, 'alpha');
    await b.conn.call(CMD_DATA_SET, 'beta');
    assert.is((await a.conn.call(CMD_DATA_GET)).payload.toString(), 'alpha');
    assert.is((await b.conn.call(CMD_DATA_GET)).payload.toString(), 'beta');
    const c = await client(addr);
    assert.is((await c.conn.call(CMD_DATA_GET)).payload.toString(), '<undefined>', 'a new connection has its own data');
    await c.conn.close();
  } finally {
    await a.conn.close();
    await b.conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('onClose callbacks run exactly once, also when the close is requested from both ends, and at once when registered late', async () => {
  const seen = [];
  const bindingCloses = [];
  const { server, addr } = await startServer(identityMux(seen), { onClose: (conn) => bindingCloses.push(conn) });
  const a = await client(addr);
  try {
    await bind(a, 'twice');
    const info = seen[0];
    let early = 0;
    let earlyErr;
    info.onClose((err) => {
      early++;
      earlyErr = err;
    });
    let other = 0;
    info.onClose(() => other++);
    // Close from both sides at once, then try again on the server side.
    info.close();
    const clientClosed = a.conn.close();
    info.close();
    await clientClosed;
    await info.closed;
    info.close();
    let late = 0;
    info.onClose(() => late++);
    await roundTrip();
    assert.is(early, 1, 'registered callback ran once');
    assert.is(other, 1, 'every registered callback ran once');
    assert.is(late, 1, 'a callback registered after the close runs once');
    assert.is(earlyErr, null, 'an orderly close reports no error');
    assert.is(bindingCloses.length, 1, 'binding onClose ran once');
    assert.is(bindingCloses[0], info);
    assert.is(server.getConnectionInfoById(0, 'twice'), null, 'a closed connection is untracked');
    assert.is(server.stats().connections, 0);
  } finally {
    await a.conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('onClose runs exactly once for a kicked connection whose client also closes', async () => {
  const codes = [];
  const { server, addr } = await startServer(identityMux(), { onClose: (_c, err) => codes.push(err?.code ?? null) });
  const first = await client(addr);
  const second = await client(addr);
  try {
    await bind(first, 'k');
    const info = server.getConnectionInfoById(0, 'k');
    let n = 0;
    info.onClose(() => n++);
    const kicking = bind(second, 'k');
    const closing = first.conn.close();
    await Promise.all([kicking, closing]);
    await info.closed;
    await roundTrip();
    assert.is(n, 1);
    assert.is(codes.length, 1, 'binding onClose once');
  } finally {
    await first.conn.close();
    await second.conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('maxCloseRate queues kick closes instead of running them all at once; all eventually close with ERR_KICKED', async () => {
  const N = 4;
  const codes = [];
  const accepted = [];
  const { server, addr } = await startServer(identityMux(), {
    maxCloseRate: 1,
    onAccept: (conn) => {
      accepted.push(conn);
    },
    onClose: (_c, err) => codes.push(err?.code ?? null),
  });
  const olds = [];
  const news = [];
  try {
    for (let i = 0; i < N; i++) {
      const c = await client(addr);
      olds.push(c);
      await bind(c, `id${i}`);
    }
    for (let i = 0; i < N; i++) news.push(await client(addr));
    await until(() => accepted.length === 2 * N, 'all accepted');
    const newInfos = accepted.slice(N);
    // All kicks in the same tick: at most one close may run now, the rest are queued.
    await Promise.all(newInfos.map((info, i) => info.setId(`id${i}`)));
    assert.is(server.stats().kicked, N);
    for (let i = 0; i < N; i++) assert.is(server.getConnectionInfoById(0, `id${i}`), newInfos[i], 'new holder bound at once');

    const closedCount = () => olds.filter((c) => c.disconnects.length > 0).length;
    await until(() => closedCount() >= 1, 'first kicked connection closed');
    assert.ok(closedCount() < N, `closes are rate limited (saw ${closedCount()} of ${N} at the first close)`);

    await until(() => closedCount() === N, 'every kicked connection eventually closes', 200000);
    await until(() => codes.length === N, 'server onClose for every kicked connection');
    assert.equal(codes, Array(N).fill('ERR_KICKED'));
    for (const c of news) assert.is(c.conn.isConnected, true, 'the new holders stay connected');
  } finally {
    for (const c of [...olds, ...news]) await c.conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test.run();
