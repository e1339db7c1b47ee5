// The client's request metric on every way a call can end, now that the session reports it from the
// call's own settle path: answered (whether or not the caller ever asks for the frame), streamed,
// failed on the wire, refused before sending, and refused while not connected.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, Flags, connect, silentLogger } from '../../dist/index.js';
import { startServer, until, rejection } from '../helpers.mjs';

function requestRecorder() {
  const requests = [];
  return {
    requests,
    request(cmd, outcome, seconds) {
      assert.ok(Number.isFinite(seconds) && seconds >= 0, `seconds ${seconds}`);
      requests.push([cmd, outcome]);
    },
  };
}

function mux() {
  const m = new ServeMux();
  m.handle(1, (w, req) => w.reply(req.requestId, 2, 'ok'));
  m.handle(3, () => {
    throw new Error('boom');
  });
  return m;
}

test('answered calls are reported once each: call(), request() whose frame nobody awaits, streamRequest()', async () => {
  const c = requestRecorder();
  const { server, addr } = await startServer(mux(), {}, { logger: silentLogger });
  const conn = await connect(addr, { metrics: c, logger: silentLogger });
  assert.is((await conn.call(1, 'a')).payload.toString(), 'ok');
  conn.request(1, Flags.NB, 'b'); // the caller never looks at the answer
  await until(() => c.requests.length === 2, 'request() reported');
  const opened = conn.streamRequest(1, Flags.StreamEnd, 'c');
  await opened.response.frame();
  await until(() => c.requests.length === 3, 'streamRequest() reported');
  assert.equal(c.requests, [[1, 'ok'], [1, 'ok'], [1, 'ok']]);
  await conn.close();
  await server.shutdown({ timeoutMs: 500 });
});

test('failed calls are reported with the error code: a reset on the wire, an aborted signal, bad flags, a closed connection', async () => {
  const c = requestRecorder();
  const { server, addr } = await startServer(mux(), {}, { logger: silentLogger });
  const conn = await connect(addr, { metrics: c, logger: silentLogger, reconnect: false });
  assert.is((await rejection(conn.call(3, ''))).code, 'ERR_STREAM_RESET');
  assert.is((await rejection(conn.call(1, '', { signal: AbortSignal.abort() }))).code, 'ERR_ABORTED');
  assert.is((await rejection(conn.call(1, '', { flags: 300 }))).code, 'ERR_INVALID_ARG');
  await conn.close();
  assert.is((await rejection(conn.call(1, ''))).code, 'ERR_CONN_CLOSED');
  await until(() => c.requests.length === 4, 'failures reported');
  assert.equal(c.requests, [[3, 'ERR_STREAM_RESET'], [1, 'ERR_ABORTED'], [1, 'ERR_INVALID_ARG'], [1, 'ERR_CONN_CLOSED']]);
  await server.shutdown({ timeoutMs: 500 });
});

test.run();
