// The connection table grows with the connections peers open; a growth that
// cannot get memory refuses that one connection (its socket is closed) and the
// server goes on accepting and serving — std::vector growth would have
// abort()ed. Fault injection: __failAllocations(n) fails the next n checked
// allocations; the table's growth is one of them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nativeOrSkip, listen, rawClient, encode, tick } from './_native.mjs';

const native = nativeOrSkip('native connection table growth');
const t = native?.transport;
const addon = native?.addon;

/** Resolves with the bytes a raw client received once the server closed it. */
function closedWith(raw) {
  const got = [];
  raw.on('data', (d) => got.push(d));
  raw.on('error', () => {});
  return new Promise((resolve) => raw.on('close', () => resolve(Buffer.concat(got))));
}

async function echoes(raw, text) {
  const frame = encode(1n, 0, 1, Buffer.from(text));
  let got = Buffer.alloc(0);
  const answered = new Promise((resolve) => {
    const onData = (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= frame.length) {
        raw.off('data', onData);
        resolve(got);
      }
    };
    raw.on('data', onData);
  });
  raw.write(frame);
  return answered;
}

if (t) {
  test('a connection the table cannot grow for is closed; the others and later ones are served', async () => {
    assert.type(addon.__failAllocations, 'function', 'the addon has the fault injection hook');
    const accepted = [];
    const listener = await listen(t, {}, (conn) => {
      accepted.push(conn);
      conn.attach({ onFrame: (hi, lo, flags, cmd, payload) => conn.writeFrame(BigInt(lo), flags, cmd, payload), onDrain() {}, onClose() {} });
    });
    const clients = [];
    try {
      // The table's first growth makes room for 16 slots: fill them, so the next connection needs a growth.
      for (let i = 0; i < 16; i++) clients.push(await rawClient(listener.port));
      while (accepted.length < 16) await tick();

      addon.__failAllocations(1);
      const refused = await rawClient(listener.port);
      let closed = false;
      const bytes = closedWith(refused).then((b) => ((closed = true), b));
      // Either outcome ends the wait: refused (closed) or, were the growth unchecked, accepted.
      while (!closed && accepted.length === 16) await tick();
      addon.__failAllocations(0);
      assert.is(accepted.length, 16, 'it never reached JS');
      assert.is((await bytes).length, 0, 'the refused connection got nothing and was closed');

      const later = await rawClient(listener.port);
      clients.push(later);
      const answer = await echoes(later, 'after the refusal');
      assert.is(answer.subarray(16).toString(), 'after the refusal');
      assert.is((await echoes(clients[0], 'an old one')).subarray(16).toString(), 'an old one');
      assert.is(accepted.length, 17);
    } finally {
      addon.__failAllocations(0);
      for (const c of clients) c.destroy();
      await listener.close();
    }
  });
}

test.run();
