// Rooms without a broker (one process): join/leave, a room push reaching exactly its members byte for
// byte (one encoding, the backend's broadcast), membership dropped on close, sizes, bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, encodeFrame, Flags } from '../../dist/index.js';
import { startServer, rejection, until } from '../helpers.mjs';
import { loginMux, rawPeerAfter } from './cluster-helpers.mjs';


test('a room push reaches every member and nobody else, byte for byte; leave and close drop members', async () => {
  const { server, port } = await startServer(loginMux());
  const [m1, m2, other] = await Promise.all([rawPeerAfter(port, 2, 'lobby'), rawPeerAfter(port, 2, 'lobby'), rawPeerAfter(port, 2, 'elsewhere')]);
  try {
    assert.is(server.cluster.hasBroker, false);
    assert.is(await server.cluster.roomSize(0, 'lobby'), 2);
    const report = await server.cluster.pushToRoom(0, 'lobby', 42, 'hello room');
    assert.equal(report, { nodes: 1, connections: 2, unconfirmedNodes: 0 });
    for (const peer of [m1, m2]) {
      const [, push] = await peer.waitFrames(2);
      assert.is(push.flags, Flags.Push);
      assert.is(push.cmd, 42);
      assert.is(push.payload.toString(), 'hello room');
      const tail = peer.received.subarray(peer.received.length - (16 + 10));
      assert.is(tail.toString('hex'), encodeFrame(push.requestId, Flags.Push, 42, Buffer.from('hello room')).toString('hex'));
    }
    let first = null;
    server.walkConn(0, (c) => {
      if (server.cluster.roomsOf(c).includes('lobby')) {
        first = c;
        return false;
      }
    });
    server.cluster.leave(first, 'lobby');
    assert.equal(server.cluster.roomsOf(first), []);
    assert.is(await server.cluster.roomSize(0, 'lobby'), 1);
    m2.destroy();
    m1.destroy();
    await until(() => server.stats(0).connections === 1, 'members closed');
    assert.is(await server.cluster.roomSize(0, 'lobby'), 0, 'a closed connection leaves its rooms');
    assert.equal(await server.cluster.pushToRoom(0, 'lobby', 42, 'nobody'), { nodes: 1, connections: 0, unconfirmedNodes: 0 });
    assert.is(other.frames.length, 1, 'the non-member got only its join answer');
  } finally {
    other.destroy();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('bad input is refused with stable codes', async () => {
  const { server, addr } = await startServer(loginMux());
  const client = await connect(addr);
  try {
    await client.call(1, 'someone');
    const conn = server.getConnectionInfoById(0, 'someone');
    for (const room of ['', 7, null]) {
      assert.is((() => { try { server.cluster.join(conn, room); } catch (e) { return e.code; } })(), 'ERR_INVALID_ARG');
    }
    assert.is((() => { try { server.cluster.join({}, 'r'); } catch (e) { return e.code; } })(), 'ERR_INVALID_ARG');
    assert.is((await rejection(server.cluster.pushToRoom(0, 'r', -1, 'x'))).code, 'ERR_INVALID_CMD');
    assert.is((await rejection(server.cluster.pushToRoom(5, 'r', 1, 'x'))).code, 'ERR_INVALID_ARG');
    assert.is((await rejection(server.cluster.pushToRoom(0, 'r', 1, Buffer.alloc(11 * 1024 * 1024)))).code, 'ERR_FRAME_TOO_LARGE');
    assert.is((await rejection(server.cluster.pushToIds(0, 'someone', 1, 'x'))).code, 'ERR_INVALID_ARG');
    assert.is((await rejection(server.cluster.lookup(0, ''))).code, 'ERR_INVALID_ARG');
    await client.close();
    await until(() => conn.isClosed, 'closed');
    assert.is((() => { try { server.cluster.join(conn, 'r'); } catch (e) { return e.code; } })(), 'ERR_CONN_CLOSED');
  } finally {
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('without a broker pushToIds and lookup cover this process and say so per id', async () => {
  const { server, addr } = await startServer(loginMux());
  const pushes = [];
  const client = await connect(addr, { onPush: (f) => pushes.push(f.payload.toString()) });
  try {
    await client.call(1, 'here');
    assert.equal(await server.cluster.pushToIds(0, ['here', 'gone', 'here'], 5, 'p'), { delivered: ['here'], offline: ['gone'], unconfirmed: [] });
    await until(() => pushes.length === 1, 'push');
    assert.equal(pushes, ['p']);
    assert.equal(await server.cluster.lookup(0, 'here'), { online: true, node: server.cluster.nodeId, local: true });
    assert.equal(await server.cluster.lookup(0, 'gone'), { online: false, node: null, local: false });
  } finally {
    await client.close();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test.run();
