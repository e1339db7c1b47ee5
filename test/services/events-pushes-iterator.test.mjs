// conn.pushes(): pushes as an async iterator, its bound, and its end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, connect } from '../../dist/index.js';
import { startServer, until, deferred } from '../helpers.mjs';

/** cmd 1 pushes `count` frames of `size` bytes (payload: index, padded), then answers. */
function pusherMux() {
  const m = new ServeMux();
  m.handle(1, async (w, req) => {
    const { count, size } = JSON.parse(req.payload);
    for (let i = 0; i < count; i++) await req.connection.push(3, String(i).padEnd(size, '.'));
    await w.reply(req.requestId, 2, 'sent');
  });
  return m;
}

test('for await reads every push in order and ends when the connection closes', async () => {
  const { server, addr } = await startServer(pusherMux());
  const conn = await connect(addr);
  const got = [];
  const reading = (async () => {
    for await (const f of conn.pushes()) got.push(f.payload.toString());
  })();
  await conn.call(1, JSON.stringify({ count: 5, size: 1 }));
  await until(() => got.length === 5, 'five pushes');
  await conn.close();
  await reading; // ended by the close: the loop finished without an error
  assert.equal(got, ['0', '1', '2', '3', '4']);
  await server.shutdown({ timeoutMs: 500 });
});

test('a reader too far behind gets what was held, then ERR_PUSH_OVERFLOW; listeners still get every push', async () => {
  const { server, addr } = await startServer(pusherMux());
  const conn = await connect(addr);
  let heard = 0;
  conn.on('push', () => heard++);
  // 10 bytes each, bound 25 bytes: the first two are held, the third overflows.
  const slow = conn.pushes({ maxBufferedBytes: 25 });
  await conn.call(1, JSON.stringify({ count: 6, size: 10 }));
  assert.is(heard, 6);
  const first = await slow.next();
  assert.is(first.value.payload.toString(), '0.........');
  assert.is((await slow.next()).value.payload.toString(), '1.........');
  try {
    await slow.next();
    assert.unreachable('no overflow');
  } catch (err) {
    assert.is(err.code, 'ERR_PUSH_OVERFLOW');
  }
  assert.equal(await slow.next(), { done: true, value: undefined });
  await conn.close();
  await server.shutdown({ timeoutMs: 500 });
});

test('leaving the loop stops the reader; two readers each get every push', async () => {
  const { server, addr } = await startServer(pusherMux());
  const conn = await connect(addr);
  const all = [];
  const firstOnly = deferred();
  const keep = (async () => {
    for await (const f of conn.pushes()) all.push(f.payload.toString());
  })();
  const brief = (async () => {
    for await (const f of conn.pushes()) {
      firstOnly.resolve(f.payload.toString());
      break;
    }
  })();
  await conn.call(1, JSON.stringify({ count: 3, size: 1 }));
  assert.is(await firstOnly.promise, '0');
  await brief;
  await until(() => all.length === 3);
  await conn.close();
  await keep;
  assert.equal(all, ['0', '1', '2']);
  // After the close a new reader ends at once.
  assert.equal(await conn.pushes().next(), { done: true, value: undefined });
  await server.shutdown({ timeoutMs: 500 });
});

test('a bad bound is refused with ERR_INVALID_ARG', async () => {
  const { server, addr } = await startServer(pusherMux());
  const conn = await connect(addr);
  for (const maxBufferedBytes of [-1, 'x', NaN]) {
    try {
      conn.pushes({ maxBufferedBytes });
      assert.unreachable('accepted');
    } catch (err) {
      assert.is(err.code, 'ERR_INVALID_ARG');
    }
  }
  await conn.close();
  await server.shutdown({ timeoutMs: 500 });
});

test.run();
