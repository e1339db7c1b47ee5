// Logger and errors (issue 2 point 15): every failure is a QrpcError (an
// Error subclass) with a stable code; handler failures are logged through the
// pino-shaped `logger` option with the remote address; errors to stderr by default, silenceable.
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { QrpcError, ServeMux, Server, connect, Flags, ResetReason } from '../../dist/index.js';
import { startServer, helloMux, RawPeer, until, rejection } from '../helpers.mjs';

function capturingLogger() {
  const entries = [];
  const make = (level) => (obj, msg) => entries.push({ level, obj, msg });
  return { entries, logger: { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') } };
}

const isQrpcError = (err, code) => {
  assert.ok(err instanceof QrpcError, `${err?.name}: ${err?.message} is a QrpcError`);
  assert.ok(err instanceof Error, 'and an Error');
  assert.is(err.name, 'QrpcError');
  assert.type(err.message, 'string');
  assert.ok(err.message.length > 0, 'with a message');
  assert.type(err.stack, 'string');
  assert.is(err.code, code);
};

test('QrpcError is an Error subclass carrying code, reason and cause', () => {
  const cause = new Error('root');
  const e = new QrpcError('ERR_STREAM_RESET', 'reset', { cause, reason: 3 });
  isQrpcError(e, 'ERR_STREAM_RESET');
  assert.is(e.reason, 3);
  assert.is(e.cause, cause);
  assert.ok(Object.prototype.toString.call(e) === '[object Error]');
});

test('API misuse throws QrpcErrors with stable codes', async () => {
  const mux = new ServeMux();
  mux.handle(1, () => {});
  let err;
  try {
    mux.handle(1 | 0x050000, () => {});
  } catch (e) {
    err = e;
  }
  isQrpcError(err, 'ERR_DUPLICATE_HANDLER');
  err = undefined;
  try {
    mux.handle(0x1000000, () => {});
  } catch (e) {
    err = e;
  }
  isQrpcError(err, 'ERR_INVALID_CMD');
  err = undefined;
  try {
    new Server([]);
  } catch (e) {
    err = e;
  }
  isQrpcError(err, 'ERR_INVALID_ARG');
});

test('runtime failures reject with QrpcErrors: ERR_CONNECT, ERR_STREAM_RESET, ERR_TIMEOUT, ERR_ABORTED, ERR_CONN_CLOSED, ERR_INVALID_CMD', async () => {
  const mux = helloMux();
  mux.handle(2, () => new Promise(() => {})); // never answers
  mux.handle(3, () => {}); // returns without answering → reset
  const { server, addr } = await startServer(mux);
  const dead = await (async () => {
    const s = await startServer(helloMux());
    await s.server.shutdown({ timeoutMs: 100 });
    return s.addr;
  })();
  try {
    isQrpcError(await rejection(connect(dead)), 'ERR_CONNECT');
    const conn = await connect(addr);
    const reset = await rejection(conn.call(3));
    isQrpcError(reset, 'ERR_STREAM_RESET');
    assert.is(reset.reason, ResetReason.None);
    isQrpcError(await rejection(conn.call(2, 'x', { timeoutMs: 50 })), 'ERR_TIMEOUT');
    const ac = new AbortController();
    const aborted = conn.call(2, 'y', { signal: ac.signal });
    aborted.catch(() => {});
    ac.abort();
    isQrpcError(await rejection(aborted), 'ERR_ABORTED');
    let thrown;
    try {
      conn.request(0x1000000, 0, 'x');
    } catch (e) {
      thrown = e;
    }
    isQrpcError(thrown, 'ERR_INVALID_CMD');
    await conn.close();
    isQrpcError(await rejection(conn.call(0, 'z')), 'ERR_CONN_CLOSED');
  } finally {
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('a handler that throws (or rejects) is logged via logger.error with the remote address; the caller gets a reset; the server keeps serving', async () => {
  const { entries, logger } = capturingLogger();
  const mux = helloMux();
  const boom = new Error('boom');
  mux.handle(5, () => {
    throw boom;
  });
  mux.handle(6, async () => {
    await null;
    throw new Error('async boom');
  });
  const { server, addr } = await startServer(mux, {}, { logger });
  const conn = await connect(addr);
  try {
    const e1 = await rejection(conn.call(5, 'a'));
    isQrpcError(e1, 'ERR_STREAM_RESET');
    const e2 = await rejection(conn.call(6, 'b'));
    isQrpcError(e2, 'ERR_STREAM_RESET');
    await until(() => entries.filter((e) => e.level === 'error').length === 2, 'two error logs');
    const errors = entries.filter((e) => e.level === 'error');
    assert.is(errors[0].obj.err, boom, 'the thrown error is logged');
    assert.is(errors[0].obj.remoteAddress, '127.0.0.1');
    assert.is(errors[0].obj.cmd, 5);
    assert.is(errors[1].obj.err.message, 'async boom');
    assert.is(errors[1].obj.remoteAddress, '127.0.0.1');
    assert.type(errors[0].msg, 'string');
    assert.is((await conn.call(0, 'ok')).payload.toString(), 'hello world ok', 'the server survived');
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('the reset for a throwing handler is one well-formed reset frame for the same id on the wire', async () => {
  const mux = new ServeMux();
  mux.handle(5, () => {
    throw new Error('x');
  });
  const { server, port } = await startServer(mux);
  const peer = await RawPeer.connect(port);
  try {
    peer.sendFrame(0x123456789n, 0, 5);
    const [f] = await peer.waitFrames(1);
    assert.is(f.requestId, 0x123456789n);
    assert.is(f.flags, Flags.StreamRst);
    assert.is(f.payload.length, 0);
    assert.is(peer.received.length, 16);
  } finally {
    peer.destroy();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test('closes for protocol violations and limits are logged with their code (frame too large, rate limit)', async () => {
  const { entries, logger } = capturingLogger();
  const closes = [];
  const { server, port } = await startServer(helloMux(), { maxFrameSize: 100, maxInboundFramesPerSecond: 2, onClose: (_c, e) => closes.push(e) }, { logger });
  const names = (code) => entries.some((e) => e.obj?.code === code || e.obj?.err?.code === code);
  const p1 = await RawPeer.connect(port);
  const p2 = await RawPeer.connect(port);
  try {
    const h = Buffer.alloc(16);
    h.writeUInt32BE(101, 0);
    p1.send(h);
    for (let i = 0; i < 5; i++) p2.sendFrame(2 * i + 1, Flags.NB, 0, 'r');
    await p1.waitClose();
    await p2.waitClose();
    await until(() => closes.length === 2, 'both closed');
    assert.equal(closes.map((e) => e?.code).sort(), ['ERR_FRAME_TOO_LARGE', 'ERR_RATE_LIMIT']);
    assert.ok(names('ERR_RATE_LIMIT'), 'the rate-limit close is logged');
    assert.ok(names('ERR_FRAME_TOO_LARGE'), 'the frame-too-large close is logged');
    for (const code of ['ERR_FRAME_TOO_LARGE', 'ERR_RATE_LIMIT']) {
      const entry = entries.find((e) => e.obj?.code === code);
      assert.is(entry?.obj.remoteAddress, '127.0.0.1', `the ${code} close names the peer`);
    }
  } finally {
    p1.destroy();
    p2.destroy();
    await server.shutdown({ timeoutMs: 200 });
  }
});

/** Runs a process exercising handler errors, kicks, unknown cmds, oversize frames and closes; returns its output. */
async function exercise(loggerExpr) {
  const script = `
    import { Server, ServeMux, connect, silentLogger } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
    const logger = ${loggerExpr};
    const mux = new ServeMux();
    mux.handle(1, () => { throw new Error('handler failure'); });
    mux.handle(2, async (w, req) => { await req.connection.setId('same'); await w.reply(req.requestId, 2, 'ok'); });
    const server = new Server([{ addr: '127.0.0.1:0', handler: mux, maxFrameSize: 64, onKick: (c) => { c.push(3, 'bye'); } }], { logger });
    await server.listen();
    const addr = '127.0.0.1:' + server.address(0).port;
    const a = await connect(addr, { onPush: () => {}, logger });
    const b = await connect(addr, { logger });
    await a.call(1).catch(() => {});
    await a.call(99).catch(() => {});
    await a.call(2);
    await b.call(2);
    await a.closed;
    await b.call(1, Buffer.alloc(200)).catch(() => {});
    const c = await connect(addr, { logger });
    await c.push(7, 'unsubscribed push');
    await c.call(1).catch(() => {});
    await c.close();
    await b.close();
    await server.shutdown({ timeoutMs: 200 });
    await connect(addr, { logger }).catch(() => {});
    process.stdout.write('END');
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  return { stdout, stderr, code };
}

test('by default handler failures, and nothing else, are reported at error level on stderr', async () => {
  const { stdout, stderr, code } = await exercise('undefined');
  const reports = stderr.split('\n').filter((line) => line.startsWith('qrpc error:'));
  assert.is(reports.length, 2, `two handler failures reported, got:\n${stderr}`);
  // Only the two handler failures: kicks, unknown cmds, limit closes and disconnects stay below error level.
  for (const line of reports) assert.match(line, /handler failed .*"cmd":1/);
  assert.match(stderr, /Error: handler failure/, 'with the error and its stack');
  assert.is(stdout, 'END');
  assert.is(code, 0);
});

test('logger: silentLogger silences everything', async () => {
  const { stdout, stderr, code } = await exercise('silentLogger');
  assert.is(stderr, '', 'nothing on stderr');
  assert.is(stdout, 'END', 'nothing on stdout but the end marker');
  assert.is(code, 0);
});

test.run();
