// JSON.stringify on the frames the library hands over (the bigint id would make it throw).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, Flags, connect, decodeFrame, encodeFrame } from '../../dist/index.js';
import { startServer, deferred } from '../helpers.mjs';

test('answers, pushes, requests and continuation frames stringify: id as a decimal string, payload as base64', async () => {
  const seen = deferred();
  const continuation = deferred();
  const m = new ServeMux();
  m.handle(1, async (w, req) => {
    await req.connection.push(4, Buffer.from([0, 255]));
    await w.reply(req.requestId, 2, 'ok');
    seen.resolve(JSON.stringify(req));
  });
  m.handle(6, async (w, req) => {
    for await (const f of req.frames()) {
      continuation.resolve(JSON.stringify(f));
      break;
    }
    await w.reply(req.requestId, 2, '');
  });
  const { server, addr } = await startServer(m);
  const push = deferred();
  const conn = await connect(addr, { onPush: (f) => push.resolve(JSON.stringify(f)) });
  const answer = await conn.call(1, 'hi');
  assert.is(JSON.stringify(answer), '{"requestId":"3","flags":0,"cmd":2,"payload":"b2s="}');
  assert.is(await push.promise, '{"requestId":"1","flags":16,"cmd":4,"payload":"AP8="}');
  assert.is(await seen.promise, `{"requestId":"3","flags":${Flags.NB},"cmd":1,"payload":"aGk="}`);
  const { writer, response } = conn.streamRequest(6, 0, 'a');
  await writer.end('b');
  await response.frame();
  assert.is(await continuation.promise, `{"requestId":"5","flags":${Flags.Stream | Flags.StreamEnd},"cmd":6,"payload":"Yg=="}`);
  await conn.close();
  await server.shutdown({ timeoutMs: 500 });
});

test('decodeFrame output stringifies, ids above 2^53 exactly', () => {
  const id = (1n << 64n) - 1n;
  const frame = decodeFrame(encodeFrame(id, Flags.Push, 0xabcdef, Buffer.from('x')));
  assert.is(JSON.stringify(frame), '{"requestId":"18446744073709551615","flags":16,"cmd":11259375,"payload":"eA=="}');
  assert.is(frame.requestId, id);
});

test.run();
