// Api failover: a dead endpoint is skipped; a call that lost its connection after the send is retried on
// another endpoint only when the caller marks it idempotent; a draining (shutting down) endpoint is left.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Api, ResetReason } from '../../dist/index.js';
import { deferred, rejection, until } from '../helpers.mjs';
import { namedServers, stopAll, freePort, untilRefused, WHO } from './api-servers.mjs';

const TRAP = 2; // the first request reaching any server closes that connection without an answer
const SLOW = 3; // held until the test opens the gate

function trapMux(trap) {
  return (mux, entry) => {
    entry.trapped = 0;
    mux.handle(TRAP, (w, req) => {
      entry.trapped++;
      if (trap.sprung++ === 0) return req.close();
      return w.reply(req.requestId, TRAP, entry.name);
    });
  };
}

test('a dead endpoint is skipped: every call is answered by the live one, the dead one is down with ERR_CONNECT', async () => {
  const servers = await namedServers(1);
  const dead = `127.0.0.1:${await freePort()}`;
  const api = new Api([dead, servers[0].addr], { health: { backoffMs: 60_000 } });
  try {
    const replies = await Promise.all(Array.from({ length: 50 }, () => api.call(WHO, 'x')));
    assert.ok(replies.every((f) => f.payload.toString() === 's0'));
    const down = api.status().find((s) => s.endpoint === dead);
    assert.is(down.state, 'down');
    assert.is(down.lastError.code, 'ERR_CONNECT');
  } finally {
    await api.close();
    await stopAll(servers);
  }
});

test('connection lost after the send: not retried (ERR_CONN_CLOSED, handled once); marked idempotent: retried once on the other endpoint', async () => {
  for (const idempotent of [false, true]) {
    const trap = { sprung: 0 };
    const servers = await namedServers(2, trapMux(trap));
    const api = new Api(servers.map((s) => s.addr), { health: { backoffMs: 60_000 } });
    try {
      await api.ready();
      if (!idempotent) {
        const err = await rejection(api.call(TRAP, 'x'));
        assert.is(err.code, 'ERR_CONN_CLOSED');
        assert.is(servers[0].trapped + servers[1].trapped, 1, 'the request ran once, nowhere else');
      } else {
        const frame = await api.call(TRAP, 'x', { idempotent: true });
        assert.equal(servers.map((s) => s.trapped), [1, 1], 'once on the endpoint that died, once on the other');
        const answered = servers.find((s) => s.name === frame.payload.toString());
        assert.ok(answered, 'answered by a server');
        const died = servers.find((s) => s !== answered);
        await until(() => api.status().find((s) => s.endpoint === died.addr).state === 'down', 'the lost endpoint is down');
      }
    } finally {
      await api.close();
      await stopAll(servers);
    }
  }
});

test('an endpoint whose server shuts down: its Shutdown reset marks it draining, later calls for its keys go elsewhere, an idempotent call is retried; in-flight calls there finish', async () => {
  const gate = deferred();
  let entered = 0;
  const servers = await namedServers(2, (mux) =>
    mux.handleCall(SLOW, async () => {
      entered++;
      await gate.promise;
      return 'done';
    }),
  );
  const [a, b] = servers;
  const api = new Api([a.addr, b.addr], { health: { backoffMs: 60_000 } });
  const other = new Api([a.addr, b.addr], { health: { backoffMs: 60_000 } });
  try {
    await api.ready();
    await other.ready();
    let key = 0;
    while (api.route(`user-${key}`) !== a.addr) key++;
    const userOfA = `user-${key}`;
    const slow = api.callOne(a.addr, SLOW, 'x');
    await until(() => entered === 1, 'the slow handler runs on a');
    const shut = a.server.shutdown({ timeoutMs: 10_000 });
    await untilRefused(a.port);

    // Not idempotent: the server reset it, but a Shutdown reset may also mean a handler was cut at the deadline.
    const reset = await rejection(api.call(WHO, 'x', { key: userOfA }));
    assert.is(reset.code, 'ERR_STREAM_RESET');
    assert.is(reset.reason, ResetReason.Shutdown);
    assert.is(api.status()[0].state, 'draining');
    const next = await api.call(WHO, 'x', { key: userOfA });
    assert.is(next.payload.toString(), 's1', 'the key moved to the next endpoint on the ring');

    const retried = await other.call(WHO, 'x', { key: userOfA, idempotent: true });
    assert.is(retried.payload.toString(), 's1', 'idempotent: retried on b after a\'s Shutdown reset');
    assert.is(a.handled, 0);
    assert.is(b.handled, 2);

    gate.resolve();
    assert.is((await slow).payload.toString(), 'done', 'the call in flight on the draining endpoint finished');
    await shut;
    await until(() => api.status()[0].state === 'down', 'a is down once its connection closed');
    assert.is(api.status()[0].lastError.code, 'ERR_SHUTDOWN');
  } finally {
    gate.resolve();
    await api.close();
    await other.close();
    await stopAll(servers);
  }
});

test('no endpoint left: ERR_NO_ENDPOINT whose cause is the last failure; an empty Api too', async () => {
  const deadA = `127.0.0.1:${await freePort()}`;
  const deadB = `127.0.0.1:${await freePort()}`;
  const api = new Api([deadA, deadB], { health: { backoffMs: 60_000 } });
  const empty = new Api([]);
  try {
    const err = await rejection(api.call(WHO, 'x'));
    assert.is(err.code, 'ERR_NO_ENDPOINT');
    assert.is(err.cause.code, 'ERR_CONNECT', 'the cause: why the endpoints are down');
    assert.equal(api.status().map((s) => s.state), ['down', 'down']);
    const keyed = await rejection(api.call(WHO, 'x', { key: 'u1' }));
    assert.is(keyed.code, 'ERR_NO_ENDPOINT');
    assert.is((await rejection(empty.call(WHO, 'x'))).code, 'ERR_NO_ENDPOINT');
  } finally {
    await api.close();
    await empty.close();
  }
});

test.run();
