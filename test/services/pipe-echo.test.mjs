// Both ends of a pipe through the API: a client pipe against a pipeHandler,
// a pluggable marshaller, and a pipe the server opens toward its client.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, connect, pipe, pipeHandler } from '../../dist/index.js';
import { startServer, withServerAndClient, deferred } from '../helpers.mjs';

/** cmd 12 echoes every message with its cmd, then ends (the interop server's pipe). */
function echoMux(options) {
  const mux = new ServeMux();
  mux.handle(12, pipeHandler(async ({ sender, receiver }) => {
    for await (const { cmd, message } of receiver) await sender.send(cmd, message);
    await sender.end();
  }, options));
  return mux;
}

test('every message comes back with its cmd, then the pipe ends', async () => {
  await withServerAndClient(echoMux(), async ({ conn }) => {
    const { sender, receiver } = pipe(conn, 12);
    const sent = [[12, { n: 1 }], [0x01000c, 'two'], [7, [3]], [8, null]];
    for (const [cmd, m] of sent.slice(0, -1)) await sender.send(cmd, m);
    await sender.send(...sent.at(-1), { end: true });
    const got = [];
    for await (const m of receiver) got.push([m.cmd, m.message]);
    assert.equal(got, sent);
    assert.is(conn.openStreams, 0, 'nothing of the pipe is left open');
  });
});

test('reading while sending (receiver first) works: the receiver waits for the first message to open the pipe', async () => {
  await withServerAndClient(echoMux(), async ({ conn }) => {
    const { sender, receiver } = pipe(conn, 12);
    const reading = (async () => {
      const got = [];
      for await (const m of receiver) got.push(m.message);
      return got;
    })();
    for (let i = 0; i < 5; i++) await sender.send(12, i, { end: i === 4 });
    assert.equal(await reading, [0, 1, 2, 3, 4]);
  });
});

test('a pluggable marshaller encodes and decodes every message on both ends', async () => {
  // Length-prefixed UTF-8 upper case: not JSON, so a JSON fallback anywhere would show.
  const upper = {
    marshal: (s) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s.toUpperCase())]),
    unmarshal: (b) => b.subarray(1, 1 + b[0]).toString().toLowerCase() + '!',
  };
  await withServerAndClient(echoMux({ marshaller: upper }), async ({ conn }) => {
    const { sender, receiver } = pipe(conn, 12, { marshaller: upper });
    await sender.send(12, 'ab');
    await sender.send(12, 'c', { end: true });
    const got = [];
    for await (const m of receiver) got.push(m.message);
    // client marshals "ab" → server unmarshals "ab!" → marshals "AB!" → client unmarshals "ab!!"
    assert.equal(got, ['ab!!', 'c!!']);
  });
});

test('the server opens a pipe toward its client (ConnectionInfo), served by the client\'s handler', async () => {
  const clientMux = new ServeMux();
  clientMux.handle(12, pipeHandler(async ({ sender, receiver }) => {
    for await (const { cmd, message } of receiver) await sender.send(cmd, `client got ${message}`);
    await sender.end();
  }));
  const infoReady = deferred();
  const { server, addr } = await startServer(new ServeMux(), { onAccept: (info) => (infoReady.resolve(info), true) });
  const conn = await connect(addr, { handler: clientMux });
  try {
    const info = await infoReady.promise;
    const { sender, receiver } = pipe(info, 12);
    await sender.send(12, 'x');
    await sender.send(12, 'y', { end: true });
    const got = [];
    for await (const m of receiver) got.push(m.message);
    assert.equal(got, ['client got x', 'client got y']);
  } finally {
    await conn.close();
    await server.shutdown({ timeoutMs: 500 });
  }
});

test.run();
