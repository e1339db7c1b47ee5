// The browser build in real Chromium: call and request over ws:// and wss://,
// payloads as strings and Uint8Arrays, answers compared byte for byte.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux } from '../../dist/index.js';
import { startBrowserEnv, SCHEMES } from './harness.mjs';

const seen = [];
const mux = new ServeMux();
// cmd 1: "hello " + payload, answered with cmd 2; records what reached the server.
mux.handle(1, (w, req) => {
  seen.push({ flags: req.flags, payload: Buffer.from(req.payload) });
  return w.reply(req.requestId, 2, Buffer.concat([Buffer.from('hello '), req.payload]));
});

const env = await startBrowserEnv(mux);

for (const scheme of SCHEMES) {
  test(`${scheme}: call with a string, and with a Uint8Array of every byte value`, async () => {
    seen.length = 0;
    const result = await env.page.evaluate(async (url) => {
      const conn = await qrpc.connect(url);
      const text = await conn.call(1, 'xu');
      const bytes = new Uint8Array(256).map((_, i) => i);
      const binary = await conn.call(1, bytes);
      await conn.close();
      return {
        text: { cmd: text.cmd, isUint8Array: text.payload instanceof Uint8Array, utf8: new TextDecoder().decode(text.payload) },
        binary: { cmd: binary.cmd, bytes: Array.from(binary.payload) },
      };
    }, env.urls[scheme]);
    assert.equal(result.text, { cmd: 2, isUint8Array: true, utf8: 'hello xu' });
    assert.equal(result.binary.cmd, 2);
    assert.equal(Buffer.from(result.binary.bytes), Buffer.concat([Buffer.from('hello '), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]));
    assert.equal(seen.map((s) => s.payload.toString('latin1')), ['xu', Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1')]);
  });

  test(`${scheme}: request() returns the request id and its response; blocking flags reach the server as sent`, async () => {
    seen.length = 0;
    const result = await env.page.evaluate(async (url) => {
      const conn = await qrpc.connect(url);
      const { requestId, response } = conn.request(1, 0, 'blocking');
      const frame = await response.frame();
      await conn.close();
      return { requestId: String(requestId), frameId: String(frame.requestId), payload: new TextDecoder().decode(frame.payload) };
    }, env.urls[scheme]);
    assert.equal(result, { requestId: '3', frameId: '3', payload: 'hello blocking' });
    assert.equal(seen.map((s) => s.flags), [0]);
  });
}

test('no page errors', () => {
  assert.equal(env.browser.errors.map(String), []);
});

test.after(() => env.close());
test.run();
