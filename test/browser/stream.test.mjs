// Streams from the page in real Chromium: a streamed request with a streamed
// answer (page → server and server → page on one id), and a stream the
// server opens toward the page's handler, over ws:// and wss://.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, Flags } from '../../dist/index.js';
import { startBrowserEnv, SCHEMES } from './harness.mjs';

const received = [];
let fromPage = null;
const mux = new ServeMux();
// cmd 5 (as Go's demo): "first " + payload, then "cont " + each continuation, the last with StreamEnd.
mux.handle(5, async (w, req) => {
  await w.startWrite(req.requestId, 5, Flags.Stream).writeBytes('first ').writeBytes(req.payload).endWrite();
  for await (const f of req.frames()) {
    received.push([f.flags, f.payload.toString()]);
    await w.startWrite(req.requestId, 5, f.flags & Flags.StreamEnd ? Flags.StreamEnd : Flags.Stream).writeBytes('cont ').writeBytes(f.payload).endWrite();
  }
});
// cmd 6: the server streams "one", "two" to the page's cmd 20 and answers with what the page streamed back.
mux.handle(6, async (w, req) => {
  const { writer, response } = req.connection.streamRequest(20, Flags.NB, 'one');
  await writer.end('two');
  const parts = [];
  for await (const f of response.frames()) parts.push([f.flags, f.payload.toString()]);
  fromPage = parts;
  await w.reply(req.requestId, 6, parts.map((p) => p[1]).join('|'));
});

const env = await startBrowserEnv(mux);

for (const scheme of SCHEMES) {
  test(`${scheme}: streamRequest writes Stream frames, ends with StreamEnd, and iterates the streamed answer`, async () => {
    received.length = 0;
    const got = await env.page.evaluate(async (url) => {
      const conn = await qrpc.connect(url);
      const { writer, response } = conn.streamRequest(5, 0, 'a');
      await writer.write('b');
      await writer.end(new Uint8Array([0x63, 0xff]));
      const frames = [];
      for await (const f of response.frames()) frames.push([f.flags, Array.from(f.payload)]);
      await conn.close();
      return frames;
    }, env.urls[scheme]);
    const bytes = (s) => Array.from(Buffer.from(s, 'latin1'));
    assert.equal(got, [
      [Flags.Stream, bytes('first a')],
      [Flags.Stream, bytes('cont b')],
      [Flags.StreamEnd, bytes('cont c\xff')],
    ]);
    assert.equal(received, [
      [Flags.Stream, 'b'],
      [Flags.Stream | Flags.StreamEnd, Buffer.from([0x63, 0xff]).toString()],
    ]);
  });

  test(`${scheme}: the server streams to the page's handler, which streams its answer back`, async () => {
    fromPage = null;
    const reply = await env.page.evaluate(async (url) => {
      const handler = new qrpc.ServeMux();
      handler.handle(20, async (w, req) => {
        const parts = [new TextDecoder().decode(req.payload)];
        for await (const f of req.frames()) parts.push(new TextDecoder().decode(f.payload));
        await w.startWrite(req.requestId, 21, qrpc.Flags.Stream).writeBytes(`got ${parts.join('+')}`).endWrite();
        await w.startWrite(req.requestId, 21, qrpc.Flags.StreamEnd).writeBytes('bye').endWrite();
      });
      const conn = await qrpc.connect(url, { handler });
      const answer = await conn.call(6, '');
      await conn.close();
      return new TextDecoder().decode(answer.payload);
    }, env.urls[scheme]);
    assert.equal(fromPage, [[Flags.Stream, 'got one+two'], [Flags.StreamEnd, 'bye']]);
    assert.is(reply, 'got one+two|bye');
  });
}

test('no page errors', () => assert.equal(env.browser.errors.map(String), []));
test.after(() => env.close());
test.run();
