// Server → page calls in real Chromium: the server calls the page's ServeMux
// (even request ids, NB), inside a page request and on its own.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, Flags } from '../../dist/index.js';
import { startBrowserEnv, SCHEMES } from './harness.mjs';
import { deferred } from '../helpers.mjs';

const calls = [];
let connected = deferred();
const mux = new ServeMux();
// cmd 3: call the page's cmd 4 with our payload, answer with both payloads joined.
mux.handle(3, async (w, req) => {
  const answer = await req.connection.call(4, req.payload);
  calls.push({ id: answer.requestId, cmd: answer.cmd });
  await w.reply(req.requestId, 1, Buffer.concat([req.payload, answer.payload]));
});

const env = await startBrowserEnv(mux, { onAccept: (info) => void connected.resolve(info) });

const installClient = (url) =>
  env.page.evaluate(async (url) => {
    const handler = new qrpc.ServeMux();
    handler.handle(4, (w, req) => w.reply(req.requestId, 4, `page got ${new TextDecoder().decode(req.payload)} (id ${req.requestId}, flags ${req.flags})`));
    window.conn = await qrpc.connect(url, { handler });
  }, url);

for (const scheme of SCHEMES) {
  test(`${scheme}: a server call inside a page request is answered by the page's handler (even ids)`, async () => {
    calls.length = 0;
    await installClient(env.urls[scheme]);
    const replies = await env.page.evaluate(async () => {
      const a = await window.conn.call(3, 'xu ');
      const b = await window.conn.call(3, 'yy ');
      return [a, b].map((f) => new TextDecoder().decode(f.payload));
    });
    assert.equal(replies, [`xu page got xu  (id 2, flags ${Flags.NB})`, `yy page got yy  (id 4, flags ${Flags.NB})`]);
    assert.equal(calls, [{ id: 2n, cmd: 4 }, { id: 4n, cmd: 4 }]);
    await env.page.evaluate(() => window.conn.close());
  });

  test(`${scheme}: the server calls the page on its own (ConnectionInfo.call), NB flag set`, async () => {
    connected = deferred();
    await installClient(env.urls[scheme]);
    const info = await connected.promise;
    const answer = await info.call(4, 'ping');
    assert.is(answer.payload.toString(), `page got ping (id 2, flags ${Flags.NB})`);
    await env.page.evaluate(() => window.conn.close());
  });
}

test('no page errors', () => assert.equal(env.browser.errors.map(String), []));
test.after(() => env.close());
test.run();
