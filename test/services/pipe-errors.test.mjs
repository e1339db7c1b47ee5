// Every misuse and failure of a pipe has a stable code, and nothing waits forever.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, pipe, pipeHandler } from '../../dist/index.js';
import { rejection, withServerAndClient, deferred } from '../helpers.mjs';
import { withRawServer, frameBytes, STREAM, STREAM_RST } from './wire-bytes.mjs';

function silentMux(onPipe = () => {}) {
  const mux = new ServeMux();
  mux.handle(12, pipeHandler(async (p, req) => {
    onPipe(p, req);
    for await (const _ of p.receiver);
  }));
  return mux;
}

test('sending after end() or after an end message fails with ERR_WRITE_AFTER_CLOSE; a second end() too', async () => {
  await withServerAndClient(silentMux(), async ({ conn }) => {
    const a = pipe(conn, 12);
    await a.sender.send(12, 1);
    await a.sender.end();
    assert.is((await rejection(a.sender.send(12, 2))).code, 'ERR_WRITE_AFTER_CLOSE');
    assert.is((await rejection(a.sender.end())).code, 'ERR_WRITE_AFTER_CLOSE');
    const b = pipe(conn, 12);
    await b.sender.send(12, 1, { end: true });
    assert.is((await rejection(b.sender.send(12, 2))).code, 'ERR_WRITE_AFTER_CLOSE');
  });
});

test('the first message must route to the pipe\'s cmd (it opens the stream): ERR_INVALID_CMD, nothing sent', async () => {
  await withRawServer(async (conn, raw) => {
    const { sender } = pipe(conn, 12);
    const err = await rejection(sender.send(13, 'x'));
    assert.is(err.code, 'ERR_INVALID_CMD');
    assert.match(err.message, /cmd 12/);
    await sender.send(12, 'ok'); // still usable with the right cmd; the only bytes on the wire
    const expected = frameBytes(3, STREAM, 12, '"ok"');
    const peer = await raw.peer(0);
    assert.equal((await peer.waitBytes(expected.length)).toString('hex'), expected.toString('hex'));
  });
});

test('a message JSON cannot encode fails with ERR_MARSHAL and sends nothing; bytes it cannot decode fail receive() with ERR_MARSHAL', async () => {
  await withRawServer(async (conn, raw) => {
    const { sender, receiver } = pipe(conn, 12);
    const err = await rejection(sender.send(12, { n: 1n }));
    assert.is(err.code, 'ERR_MARSHAL');
    assert.is((await rejection(sender.send(12, undefined))).code, 'ERR_MARSHAL');
    await sender.send(12, 'first');
    const peer = await raw.peer(0);
    const [f] = await peer.waitFrames(1);
    assert.is(f.payload.toString(), '"first"', 'the failed messages sent nothing');
    peer.send(Buffer.concat([frameBytes(3, STREAM, 1, '{not json'), frameBytes(3, STREAM, 2, '"fine"'), frameBytes(3, STREAM_RST, 0)]));
    assert.is((await rejection(receiver.receive())).code, 'ERR_MARSHAL');
    assert.equal(await receiver.receive(), { cmd: 2, message: 'fine' }, 'the pipe goes on after a message it could not decode');
    assert.is(await receiver.receive(), null);
  });
});

test('bad arguments fail with ERR_INVALID_ARG / ERR_INVALID_CMD', async () => {
  assert.throws(() => pipe(null, 12), (e) => e.code === 'ERR_INVALID_ARG');
  assert.throws(() => pipe({}, 12), (e) => e.code === 'ERR_INVALID_ARG');
  assert.throws(() => pipe({ streamRequest() {} }, 0x1000000), (e) => e.code === 'ERR_INVALID_CMD');
  assert.throws(() => pipe({ streamRequest() {} }, 12, { marshaller: { marshal() {} } }), (e) => e.code === 'ERR_INVALID_ARG');
  assert.throws(() => pipeHandler('nope'), (e) => e.code === 'ERR_INVALID_ARG');
});

test('a receiver waiting on a pipe that never opens: end() ends it, an abort fails it with ERR_ABORTED', async () => {
  await withServerAndClient(silentMux(), async ({ conn }) => {
    const a = pipe(conn, 12);
    const waiting = a.receiver.receive();
    await a.sender.end();
    assert.is(await waiting, null);
    const ac = new AbortController();
    const b = pipe(conn, 12, { signal: ac.signal });
    const pending = b.receiver.receive();
    ac.abort();
    assert.is((await rejection(pending)).code, 'ERR_ABORTED');
  });
});

test('aborting an open pipe resets it: the receiver fails with ERR_ABORTED and the handler\'s signal fires', async () => {
  const cancelled = deferred();
  await withServerAndClient(silentMux((_p, req) => req.signal.addEventListener('abort', () => cancelled.resolve(req.signal.reason.code))), async ({ conn }) => {
    const ac = new AbortController();
    const { sender, receiver } = pipe(conn, 12, { signal: ac.signal });
    await sender.send(12, 'x');
    const pending = receiver.receive();
    ac.abort();
    assert.is((await rejection(pending)).code, 'ERR_ABORTED');
    assert.is(await cancelled.promise, 'ERR_STREAM_RESET');
  });
});

test('leaving a for-await over the receiver early resets the pipe (the handler sees the reset)', async () => {
  const cancelled = deferred();
  const mux = new ServeMux();
  mux.handle(12, pipeHandler(async ({ sender }, req) => {
    req.signal.addEventListener('abort', () => cancelled.resolve(req.signal.reason.reason));
    await sender.send(1, 'a');
    await sender.send(1, 'b');
  }));
  await withServerAndClient(mux, async ({ conn }) => {
    const { sender, receiver } = pipe(conn, 12);
    await sender.send(12, 'go');
    for await (const m of receiver) {
      assert.is(m.message, 'a');
      break;
    }
    assert.is(await cancelled.promise, 0);
  });
});

test('a connection that closes fails a waiting receiver with ERR_CONN_CLOSED; a send on it rejects', async () => {
  await withRawServer(async (conn, raw) => {
    const { sender, receiver } = pipe(conn, 12);
    await sender.send(12, 'x');
    const pending = receiver.receive();
    (await raw.peer(0)).destroy();
    assert.is((await rejection(pending)).code, 'ERR_CONN_CLOSED');
    const late = pipe(conn, 12);
    const err = await rejection(late.sender.send(12, 'y'));
    assert.is(err.code, 'ERR_CONN_CLOSED');
    assert.is((await rejection(late.receiver.receive())).code, 'ERR_CONN_CLOSED');
  });
});

test.run();
