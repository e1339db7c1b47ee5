import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, Flags, connect } from '../../dist/index.js';
import { startServer, helloMux, until, deferred } from '../helpers.mjs';

async function clients(addr, n, sink) {
  const list = [];
  for (let i = 0; i < n; i++) list.push(await connect(addr, { onPush: (f) => sink.push([i, f.cmd, f.flags, f.payload.toString(), f.requestId]) }));
  return list;
}

test('server → one connection: push with Push flag and server push ids from 1', async () => {
  const mux = new ServeMux();
  mux.handle(2, async (w, req) => {
    req.connection.push(2, 'pushed ' + req.payload);
    await w.reply(req.requestId, 1, 'push done');
  });
  const { server, addr } = await startServer(mux);
  const got = [];
  const [conn] = await clients(addr, 1, got);
  const reply = await conn.call(2, 'xu');
  assert.is(reply.payload.toString(), 'push done');
  assert.equal(got, [[0, 2, Flags.Push, 'pushed xu', 1n]], 'the push arrived before the reply');
  await conn.close();
  await server.shutdown({ timeoutMs: 200 });
});

test('pushAll reaches every connection of the binding with one encoded frame', async () => {
  const { server, addr } = await startServer(helloMux());
  const got = [];
  const conns = await clients(addr, 5, got);
  await until(() => server.stats(0).connections === 5, 'accepts');
  assert.is(server.pushAll(0, 3, 'all'), 5);
  await until(() => got.length === 5, 'pushes');
  assert.equal(got.map((g) => g[0]).sort(), [0, 1, 2, 3, 4]);
  assert.ok(got.every((g) => g[3] === 'all' && g[2] === Flags.Push && g[4] === got[0][4]), 'same frame everywhere');
  for (const c of conns) await c.close();
  await server.shutdown({ timeoutMs: 200 });
});

test('a pushAll after a push queued in the same tick arrives after it, on every connection; then the next tick\'s pushAll', async () => {
  const mux = new ServeMux();
  let server;
  mux.handle(2, async (w, req) => {
    // Queued on this connection first; the broadcast, encoded once for all, must not overtake it here.
    req.connection.push(2, 'own');
    server.pushAll(0, 3, 'all');
    await w.reply(req.requestId, 1, 'done');
  });
  const started = await startServer(mux);
  server = started.server;
  const got = [];
  const conns = await clients(started.addr, 3, got);
  try {
    await until(() => server.stats(0).connections === 3, 'accepts');
    assert.is((await conns[1].call(2, 'go')).payload.toString(), 'done');
    await until(() => got.length === 4, 'pushes');
    assert.equal(got.filter((g) => g[0] === 1).map((g) => g[3]), ['own', 'all'], 'the caller\'s connection: its own push first');
    assert.equal(got.filter((g) => g[0] !== 1).map((g) => g[3]), ['all', 'all']);
    assert.is(server.pushAll(0, 3, 'again'), 3);
    await until(() => got.length === 7, 'second broadcast');
    assert.equal(got.slice(4).map((g) => g[3]), ['again', 'again', 'again']);
  } finally {
    for (const c of conns) await c.close();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('pushToIds and walkConnByIds reach only the bound ids', async () => {
  const mux = new ServeMux();
  mux.handle(1, async (w, req) => {
    await req.connection.setId(req.payload.toString());
    await w.reply(req.requestId, 1, 'bound');
  });
  const { server, addr } = await startServer(mux);
  const got = [];
  const conns = await clients(addr, 3, got);
  for (let i = 0; i < 3; i++) await conns[i].call(1, `user${i}`);
  assert.is(server.pushToIds(0, ['user0', 'user2', 'nobody'], 4, 'hi'), 2);
  await until(() => got.length === 2, 'pushes');
  assert.equal(got.map((g) => g[0]).sort(), [0, 2]);
  const walked = [];
  server.walkConnByIds(0, ['user2', 'user1'], (info) => walked.push(info.id));
  assert.equal(walked, ['user2', 'user1']);
  for (const c of conns) await c.close();
  await server.shutdown({ timeoutMs: 200 });
});

test('walkConn visits connections and stops early when fn returns false', async () => {
  const { server, addr } = await startServer(helloMux());
  const conns = await clients(addr, 4, []);
  await until(() => server.stats(0).connections === 4, 'accepts');
  let visited = 0;
  server.walkConn(0, () => {
    visited++;
    return visited < 2 ? undefined : false;
  });
  assert.is(visited, 2);
  for (const c of conns) await c.close();
  await server.shutdown({ timeoutMs: 200 });
});

test('client → server push goes to the binding push subscriber with the connection', async () => {
  const got = deferred();
  const seen = [];
  const mux = new ServeMux();
  mux.handle(10, (w, req) => w.reply(req.requestId, 1, String(seen.length)));
  const { server, addr } = await startServer(mux, {
    onPush: (frame, info) => {
      seen.push(frame.payload.toString());
      if (seen.length === 3) got.resolve(info);
    },
  });
  const conn = await connect(addr);
  const ids = await Promise.all([conn.push(0, 'p0'), conn.push(0, 'p1'), conn.push(0, 'p2')]);
  assert.equal(ids, [3n, 5n, 7n], 'Go client-push vector: push ids come from the request counter');
  const info = await got.promise;
  assert.equal(seen, ['p0', 'p1', 'p2']);
  assert.ok(info.remoteAddress.includes('127.0.0.1'));
  const reply = conn.request(10, 0);
  assert.is(reply.requestId, 9n);
  assert.is((await reply.response.frame()).payload.toString(), '3');
  await conn.close();
  await server.shutdown({ timeoutMs: 200 });
});

test('getPushId counts from 1 per server', async () => {
  const { server } = await startServer(helloMux());
  assert.is(server.getPushId(), 1n);
  assert.is(server.getPushId(), 2n);
  await server.shutdown({ timeoutMs: 200 });
});

test.run();
