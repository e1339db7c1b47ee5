import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, Flags, connect, QrpcError } from '../../dist/index.js';
import { startServer, helloMux, withServerAndClient, RawPeer, rawServer, rejection, until } from '../helpers.mjs';

test('call() answers with the handler reply', async () => {
  await withServerAndClient(helloMux(), async ({ conn }) => {
    const frame = await conn.call(0, 'xu');
    assert.is(frame.payload.toString(), 'hello world xu');
    assert.is(frame.cmd, 1);
  });
});

test('request() uses odd ids from 3 and the reply carries the same id', async () => {
  await withServerAndClient(helloMux(), async ({ conn }) => {
    const a = conn.request(0, 0, 'a');
    const b = conn.request(0, Flags.NB, 'b');
    assert.is(a.requestId, 3n);
    assert.is(b.requestId, 5n);
    const [fa, fb] = await Promise.all([a.response.frame(), b.response.frame()]);
    assert.is(fa.requestId, 3n);
    assert.is(fb.requestId, 5n);
    assert.is(fb.payload.toString(), 'hello world b');
  });
});

test('the client sends exactly the Go bytes for a blocking request', async () => {
  const raw = await rawServer((peer) => {
    peer.waitFrames(1).then(([f]) => peer.sendFrame(f.requestId, 0, 1, Buffer.from('hello world ' + f.payload)));
  });
  const conn = await connect(`127.0.0.1:${raw.port}`);
  const { response } = conn.request(0, 0, 'xu');
  const frame = await response.frame();
  assert.is(frame.payload.toString(), 'hello world xu');
  assert.is((await raw.peer(0)).received.toString('hex'), '0000000e' + '0000000000000003' + '00' + '000000' + '7875');
  await conn.close();
  await raw.close();
});

test('opaque high byte is ignored for routing and kept on the frame', async () => {
  const mux = new ServeMux();
  mux.handle(5, (w, req) => w.reply(req.requestId, req.cmd, String(req.cmd >> 16)));
  await withServerAndClient(mux, async ({ conn }) => {
    const frame = await conn.call(0x070005, 'x');
    assert.is(frame.payload.toString(), '7');
    assert.is(frame.cmd, 0x070005);
  });
});

test('a server answers a foreign peer with the exact 64-bit id it received (any parity)', async () => {
  const { server, port } = await startServer(helloMux());
  const peer = await RawPeer.connect(port);
  const ids = [0x0123456789abcdefn, 0xfffffffffffffffen, 4n];
  for (const id of ids) peer.sendFrame(id, Flags.NB, 0, Buffer.from('z'));
  const frames = await peer.waitFrames(3);
  assert.equal(frames.map((f) => f.requestId).sort(), [...ids].sort());
  peer.destroy();
  await server.shutdown({ timeoutMs: 200 });
});

test('a request with the Push flag returns no response object', async () => {
  const got = [];
  const { server, addr } = await startServer(helloMux(), { onPush: (f) => got.push(f.payload.toString()) });
  const conn = await connect(addr);
  const r = conn.request(0, Flags.Push, 'p');
  assert.is(r.response, null);
  await until(() => got.length === 1, 'push delivery');
  assert.equal(got, ['p']);
  await conn.close();
  await server.shutdown({ timeoutMs: 200 });
});

test('timeoutMs fails the call with ERR_TIMEOUT and resets the request on the server', async () => {
  const mux = new ServeMux();
  let aborted = null;
  mux.handle(6, (w, req) => new Promise((resolve) => req.signal.addEventListener('abort', () => { aborted = req.signal.reason; resolve(); })));
  await withServerAndClient(mux, async ({ conn }) => {
    const err = await rejection(conn.call(6, 'x', { timeoutMs: 30 }));
    assert.instance(err, QrpcError);
    assert.is(err.code, 'ERR_TIMEOUT');
    await until(() => aborted !== null, 'handler cancellation');
    assert.is(aborted.code, 'ERR_STREAM_RESET');
  });
});

test('aborting the signal fails the call with ERR_ABORTED and sends a reset frame', async () => {
  const raw = await rawServer(() => {});
  const conn = await connect(`127.0.0.1:${raw.port}`);
  const ac = new AbortController();
  const pending = conn.call(6, 'xu', { signal: ac.signal });
  await until(() => raw.peers[0]?.frames.length === 1, 'request on the wire');
  ac.abort();
  const err = await rejection(pending);
  assert.is(err.code, 'ERR_ABORTED');
  const [, reset] = await (await raw.peer(0)).waitFrames(2);
  assert.is(reset.requestId, 3n);
  assert.is(reset.flags, Flags.StreamRst);
  assert.is(reset.cmd, 0);
  assert.is(reset.payload.length, 0);
  await conn.close();
  await raw.close();
});

test('an already-aborted signal fails at once and sends nothing (as fetch does)', async () => {
  const raw = await rawServer(() => {});
  const conn = await connect(`127.0.0.1:${raw.port}`);
  const err = await rejection(conn.call(6, 'xu', { signal: AbortSignal.abort() }));
  assert.is(err.code, 'ERR_ABORTED');
  // The next call is the first frame on the wire, and it takes the first id: the aborted one used none.
  void conn.call(7, 'next').catch(() => {});
  const frames = await (await raw.peer(0)).waitFrames(1);
  assert.equal(frames.map((f) => [f.requestId, f.flags, f.cmd]), [[3n, Flags.NB, 7]]);
  await conn.close();
  await raw.close();
});

test('calls on a closed connection fail with ERR_CONN_CLOSED and send nothing', async () => {
  const { server, addr } = await startServer(helloMux());
  const conn = await connect(addr);
  await conn.close();
  const err = await rejection(conn.call(0, 'x'));
  assert.is(err.code, 'ERR_CONN_CLOSED');
  assert.throws(() => conn.request(0, 0, 'x'), (e) => e.code === 'ERR_CONN_CLOSED');
  await server.shutdown({ timeoutMs: 200 });
});

test('invalid cmd is rejected before anything is sent', async () => {
  await withServerAndClient(helloMux(), async ({ conn }) => {
    const err = await rejection(conn.call(0x1000000, 'x'));
    assert.is(err.code, 'ERR_INVALID_CMD');
    assert.is((await conn.call(0, 'still ok')).payload.toString(), 'hello world still ok');
  });
});

test('call() with the Push flag or stream flags is rejected before anything is sent', async () => {
  await withServerAndClient(helloMux(), async ({ conn }) => {
    const push = await rejection(conn.call(0, 'x', { flags: Flags.Push }));
    assert.is(push.code, 'ERR_INVALID_ARG');
    const stream = await rejection(conn.call(0, 'x', { flags: Flags.Stream }));
    assert.is(stream.code, 'ERR_INVALID_ARG');
    assert.throws(() => conn.request(0, Flags.Push | Flags.Stream, 'x'), (e) => e.code === 'ERR_INVALID_ARG');
    // nothing went out for them: the next call is request id 3
    const ok = conn.request(0, Flags.NB, 'still ok');
    assert.is(ok.requestId, 3n);
    assert.is((await ok.response.frame()).payload.toString(), 'hello world still ok');
  });
});

test('an answer written in several writeBytes parts arrives as their exact concatenation (1, 2, 3 parts; small and above the copy limit)', async () => {
  const mux = new ServeMux();
  const big = Buffer.alloc(20000, 0x61);
  mux.handle(0, (w, req) => {
    const n = req.payload[0];
    const large = req.payload[1] === 1;
    w.startWrite(req.requestId, 1, 0);
    for (let i = 0; i < n; i++) w.writeBytes(large ? Buffer.concat([Buffer.from([i]), big]) : `part${i};`);
    return w.endWrite();
  });
  await withServerAndClient(mux, async ({ conn }) => {
    for (const n of [0, 1, 2, 3, 5]) {
      for (const large of [0, 1]) {
        const f = await conn.call(0, Buffer.from([n, large]));
        const want = Buffer.concat(Array.from({ length: n }, (_, i) => (large ? Buffer.concat([Buffer.from([i]), big]) : Buffer.from(`part${i};`))));
        assert.ok(f.payload.equals(want), `${n} parts, large ${large}`);
      }
    }
  });
});

test('registering the same routing cmd twice is a programming error', () => {
  const mux = new ServeMux();
  mux.handle(1, () => {});
  assert.throws(() => mux.handle(0x020001, () => {}), (e) => e.code === 'ERR_DUPLICATE_HANDLER');
  assert.throws(() => mux.handle(0x1000000, () => {}), (e) => e.code === 'ERR_INVALID_CMD');
});

test('handleCall convenience replies with the returned payload', async () => {
  const mux = new ServeMux();
  mux.handleCall(7, async (req) => `got ${req.payload}`, { replyCmd: 8 });
  await withServerAndClient(mux, async ({ conn }) => {
    const f = await conn.call(7, 'q');
    assert.is(f.payload.toString(), 'got q');
    assert.is(f.cmd, 8);
  });
});

test('middleware runs in order, shares the stash, and can stop the chain', async () => {
  const mux = new ServeMux();
  const order = [];
  const auth = (w, req) => {
    order.push('auth');
    req.stash.set('user', 'u1');
    if (req.payload.toString() === 'deny') {
      w.reply(req.requestId, 99, 'denied');
      return false;
    }
    return true;
  };
  const log = async (w, req) => {
    order.push('log:' + req.stash.get('user'));
    return true;
  };
  mux.handle(1, (w, req) => w.reply(req.requestId, 1, 'ok ' + req.stash.get('user')), auth, log);
  await withServerAndClient(mux, async ({ conn }) => {
    assert.is((await conn.call(1, 'x')).payload.toString(), 'ok u1');
    const denied = await conn.call(1, 'deny');
    assert.is(denied.cmd, 99);
    assert.equal(order, ['auth', 'log:u1', 'auth']);
  });
});

test.run();
