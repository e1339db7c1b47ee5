// Typed services through the API and on the wire: defineService +
// registerServices on a mux, serviceClient as the typed proxy; the request is
// an NB frame on cmd 10000 carrying the RpcRequest envelope, the answer comes
// back on 10000, an error as cmd 10001 with the message — and, unlike Go's
// handler, our server keeps the connection after an error answer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, connect, defineService, registerServices, serviceClient, encodeRpcRequest } from '../../dist/index.js';
import { RawPeer, rejection, startServer, withServerAndClient } from '../helpers.mjs';
import { calcService } from '../../scripts/interop-handlers.mjs';
import { withRawServer, frameBytes, NB } from './wire-bytes.mjs';

const RPC = 10000;
const ERR = 10001;

function calcMux() {
  return registerServices(new ServeMux(), [calcService]);
}

test('add, echo and fail through the typed proxy; an error answer is ERR_REMOTE with the remote message', async () => {
  let closes = 0;
  const { server, addr } = await startServer(calcMux(), { onClose: () => closes++ });
  const conn = await connect(addr);
  try {
    const calc = serviceClient(conn, 'calc');
    assert.equal(await calc.add({ a: 2, b: 40 }), { sum: 42 });
    assert.equal(await calc.echo({ deep: ['x', 1, null] }), { deep: ['x', 1, null] });
    const err = await rejection(calc.fail());
    assert.is(err.code, 'ERR_REMOTE');
    assert.is(err.message, 'boom');
    const missing = await rejection(calc.nope(1));
    assert.equal([missing.code, missing.message], ['ERR_REMOTE', 'no such service']);
    const otherNs = await rejection(serviceClient(conn, 'Calc').add({ a: 1, b: 1 }));
    assert.equal([otherNs.code, otherNs.message], ['ERR_REMOTE', 'no such service']);
    // Go's handler closes after every error answer; ours does not: the same connection goes on.
    assert.equal(await calc.add({ a: 1, b: 1 }), { sum: 2 });
    assert.ok(conn.isConnected);
    assert.is(closes, 0);
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('the proxy is not a thenable and ignores symbols (awaiting it calls nothing)', async () => {
  await withRawServer(async (conn, raw) => {
    const calc = serviceClient(conn, 'calc');
    assert.is(await calc, calc);
    assert.is(calc[Symbol.iterator], undefined);
    assert.is(calc.add, calc.add, 'one function per method');
  });
});

test('client bytes: an NB request on cmd 10000 with the hand-written envelope; a 10001 answer fails, a 10000 answer resolves', async () => {
  await withRawServer(async (conn, raw) => {
    const calc = serviceClient(conn, 'calc');
    const first = calc.add({ a: 1, b: 2 });
    const params = '{"a":1,"b":2}';
    const envelope = Buffer.concat([Buffer.from([0x0a, 4]), Buffer.from('calc'), Buffer.from([0x12, 3]), Buffer.from('add'), Buffer.from([0x1a, params.length]), Buffer.from(params)]);
    const expected = frameBytes(3, NB, RPC, envelope);
    const peer = await raw.peer(0);
    assert.is((await peer.waitBytes(expected.length)).toString('hex'), expected.toString('hex'));
    peer.send(frameBytes(3, 0, ERR, 'remote says no'));
    const err = await rejection(first);
    assert.equal([err.code, err.message], ['ERR_REMOTE', 'remote says no']);
    const second = calc.echo('hi');
    await peer.waitFrames(2);
    peer.send(frameBytes(5, 0, RPC, '"HI"'));
    assert.is(await second, 'HI');
    // An answer the JSON marshaller cannot read is ERR_MARSHAL, not a silent undefined.
    const third = calc.echo('x');
    await peer.waitFrames(3);
    peer.send(frameBytes(7, 0, RPC, '{oops'));
    assert.is((await rejection(third)).code, 'ERR_MARSHAL');
  });
});

test('server bytes: the answer on the request\'s cmd, errors on 10001 with the message; bad envelopes and params answered, connection kept', async () => {
  const { server, port } = await startServer(calcMux());
  const peer = await RawPeer.connect(port);
  try {
    const ask = (id, ns, method, params) => peer.sendFrame(id, NB, RPC, encodeRpcRequest({ NS: ns, method, params: Buffer.from(params) }));
    ask(3, 'calc', 'add', '{"a":2,"b":3}');
    await peer.waitFrames(1);
    ask(5, 'calc', 'fail', 'null');
    await peer.waitFrames(2);
    ask(7, 'calc', 'missing', '{}');
    await peer.waitFrames(3);
    ask(9, 'calc', 'add', '{not json');
    peer.sendFrame(11, NB, RPC, Buffer.from([0x0a, 50, 0x61]));
    const frames = await peer.waitFrames(5);
    const expected = Buffer.concat([frameBytes(3, 0, RPC, '{"sum":5}'), frameBytes(5, 0, ERR, 'boom'), frameBytes(7, 0, ERR, 'no such service')]);
    assert.is(peer.received.subarray(0, expected.length).toString('hex'), expected.toString('hex'));
    const rest = frames.slice(3).sort((x, y) => Number(x.requestId - y.requestId));
    assert.equal(rest.map((f) => [f.requestId, f.flags, f.cmd]), [[9n, 0, ERR], [11n, 0, ERR]]);
    assert.match(rest[0].payload.toString(), /^cannot unmarshal the params of calc:add: /);
    assert.match(rest[1].payload.toString(), /^invalid RpcRequest: /);
    ask(13, 'calc', 'echo', '7');
    const [, , , , , last] = await peer.waitFrames(6);
    assert.equal([last.requestId, last.cmd, last.payload.toString()], [13n, RPC, '7']);
    assert.not.ok(peer.closed);
  } finally {
    peer.destroy();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('methods get ctx.connection (the ConnectionInfo) and ctx.request; custom rpc/err cmds; a method returning nothing answers null', async () => {
  const seen = [];
  const svc = defineService('', {
    Who: (_input, ctx) => {
      seen.push(ctx.connection.remoteAddress, ctx.request.cmd, ctx.signal.aborted);
      return ctx.connection.id;
    },
    Nothing: () => {},
    Fail: async () => {
      throw new RangeError('out of range');
    },
  });
  const mux = registerServices(new ServeMux(), [svc], { rpcCmd: 20, errCmd: 21 });
  await withServerAndClient(mux, async ({ conn }) => {
    const main = serviceClient(conn, '', { rpcCmd: 20, errCmd: 21 });
    assert.is(await main.Who(), null);
    assert.equal(seen, ['127.0.0.1', 20, false]);
    assert.is(await main.Nothing(), null);
    const err = await rejection(main.Fail());
    assert.equal([err.code, err.message], ['ERR_REMOTE', 'out of range']);
    // The default cmds are not served by this mux: the request is answered with the unknown-cmd reset.
    assert.is((await rejection(serviceClient(conn, '').Who())).code, 'ERR_STREAM_RESET');
  });
});

test('per-method marshallers (a type with its own encoding) on both ends', async () => {
  const u32 = { marshal: (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; }, unmarshal: (b) => b.readUInt32BE(0) };
  const svc = defineService('bin', { double: (n) => n * 2, plain: (x) => x }, { marshallers: { double: { input: u32, output: u32 } } });
  const mux = registerServices(new ServeMux(), [svc]);
  const { server, addr } = await startServer(mux);
  const conn = await connect(addr);
  try {
    const client = serviceClient(conn, 'bin', { marshallers: { double: { input: u32, output: u32 } } });
    assert.is(await client.double(21), 42);
    assert.equal(await client.plain({ still: 'json' }), { still: 'json' });
    // Without the marshaller the client sends JSON "21" (2 bytes), which the server's u32 refuses: both ends must agree.
    const err = await rejection(serviceClient(conn, 'bin').double(21));
    assert.is(err.code, 'ERR_REMOTE');
    assert.match(err.message, /^cannot unmarshal the params of bin:double: /);
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test('definition and registration errors have codes', () => {
  assert.throws(() => defineService(1, { a() {} }), (e) => e.code === 'ERR_INVALID_ARG');
  assert.throws(() => defineService('x', {}), (e) => e.code === 'ERR_INVALID_ARG');
  assert.throws(() => defineService('x', { a: 1 }), (e) => e.code === 'ERR_INVALID_ARG' && /x:a/.test(e.message));
  assert.throws(() => registerServices(new ServeMux(), [calcService, calcService]), (e) => e.code === 'ERR_DUPLICATE_HANDLER');
  assert.throws(() => registerServices(new ServeMux(), calcService), (e) => e.code === 'ERR_INVALID_ARG');
  assert.throws(() => registerServices(new ServeMux(), [{}]), (e) => e.code === 'ERR_INVALID_ARG');
  const mux = registerServices(new ServeMux(), [calcService]);
  assert.throws(() => registerServices(mux, [defineService('other', { a() {} })]), (e) => e.code === 'ERR_DUPLICATE_HANDLER');
  assert.throws(() => serviceClient({}, 'calc'), (e) => e.code === 'ERR_INVALID_ARG');
  assert.throws(() => serviceClient({ call() {} }, 'calc', { rpcCmd: -1 }), (e) => e.code === 'ERR_INVALID_CMD');
});

test.run();
