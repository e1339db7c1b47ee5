// server.health(): the readiness snapshot through the lifecycle, with queued output bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Server, ServeMux, backend } from '../../dist/index.js';
import { RawPeer, until } from '../helpers.mjs';

test('idle → listening (ready) → closed, per binding: address, transport, connections, queued bytes', async () => {
  const mux = new ServeMux();
  const server = new Server([{ addr: '127.0.0.1:0', handler: mux }, { addr: '127.0.0.1:0', handler: mux }]);
  const idle = server.health();
  assert.equal({ ready: idle.ready, state: idle.state, backend: idle.backend }, { ready: false, state: 'idle', backend: backend().name });
  assert.is(idle.bindings[0].address, null);
  await server.listen();
  const peer = await RawPeer.connect(server.address(1).port);
  await until(() => server.stats(1).connections === 1, 'accepted');
  let info;
  server.walkConn(1, (c) => void (info = c));
  // A push queued this tick and not flushed yet: the snapshot counts its 16 + 1000 bytes.
  void info.push(7, Buffer.alloc(1000, 1));
  const listening = server.health();
  assert.is(listening.ready, true);
  assert.is(listening.state, 'listening');
  assert.equal(listening.bindings[0], { index: 0, address: server.address(0), transport: server.transportOf(0), connections: 0, queuedBytes: 0, throttled: false });
  assert.is(listening.bindings[1].connections, 1);
  assert.is(listening.bindings[1].queuedBytes, 1016);
  await peer.waitFrames(1);
  assert.equal([peer.frames[0].cmd, peer.frames[0].payload.length], [7, 1000], 'the counted push arrived whole');
  await until(() => server.health().bindings[1].queuedBytes === 0, 'flushed');
  server.setThrottle(1);
  assert.is(server.health().bindings[1].throttled, true);
  server.clearThrottle(1);
  const shutting = server.shutdown({ timeoutMs: 500 });
  assert.equal([server.health().ready, server.health().state], [false, 'shutting-down']);
  peer.destroy();
  await shutting;
  assert.equal([server.health().ready, server.health().state], [false, 'closed']);
});

test.run();
