#!/usr/bin/env node
// An interop client: runs, as a client, the scenarios the recorded Go
// sessions show (../shared/vectors) against any server implementing the
// handler table of ../shared/vectors/README.md (ours: npm run interop:server;
// or the Go reference's).
//
//   npm run interop:client -- --port P [--host H] [--scenario NAME|all] [--ws]
//                             [--tls-ca FILE [--tls-cert FILE --tls-key FILE] [--servername NAME]]
//
// --ws runs every scenario over the WebSocket overlay (ws://HOST:PORT/qrpc; with --tls-ca, wss://).
//
// With --tls-ca every scenario runs over TLS, trusting that CA (the raw-byte
// scenarios too, on a raw TLS socket); --tls-cert/--tls-key present a client
// certificate (mutual TLS).
// Prints one line per scenario ("ok   NAME" or "FAIL NAME: why"), ends with
// "N passed, M failed", and exits non-zero when anything failed. Each
// scenario uses its own connection (cmd 10 counts pushes per connection).
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { connect, ServeMux, Flags, deflateRawCodec, pipe, serviceClient } from '../dist/index.js';


const SCENARIO_TIMEOUT_MS = 15_000;
const REPLY = 1;

class Mismatch extends Error {}

function expect(cond, message) {
  if (!cond) throw new Mismatch(message);
}

function expectEqual(actual, expected, what) {
  const a = JSON.stringify(actual, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));
  const e = JSON.stringify(expected, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));
  if (a !== e) throw new Mismatch(`${what}: expected ${e}, got ${a}`);
}

async function expectReset(promise, what) {
  try {
    const frame = await promise;
    throw new Mismatch(`${what}: expected a reset, got a frame (cmd ${frame.cmd}, "${frame.payload}")`);
  } catch (err) {
    if (err instanceof Mismatch) throw err;
    expect(err?.code === 'ERR_STREAM_RESET', `${what}: expected ERR_STREAM_RESET, got ${err?.code ?? err}`);
    return err;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const fields = (f) => [f.requestId, f.flags, f.cmd, f.payload.toString()];

/** The client side of the handler table: the server's call (cmd 4) is answered with "client resp". */
function clientMux() {
  const mux = new ServeMux();
  mux.handle(4, (w, req) => w.reply(req.requestId, 4, 'client resp'));
  return mux;
}

/** A raw socket (or, with --ws, a raw WebSocket: one binary message) that sends `bytes` and reports what came back before the server closed. */
function rawExchange(host, port, bytes, tlsOptions) {
  if (overWs) return rawExchangeWs(host, port, bytes, tlsOptions);
  return new Promise((resolve, reject) => {
    const received = [];
    const socket = tlsOptions ? tls.connect({ ...tlsOptions, host, port }, () => socket.write(bytes)) : net.connect({ host, port }, () => socket.write(bytes));
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('error', () => {}); // a reset by the server still ends in 'close'
    socket.on('close', () => resolve(Buffer.concat(received)));
    socket.once('connect', () => {});
    socket.setTimeout(SCENARIO_TIMEOUT_MS - 1000, () => {
      socket.destroy();
      reject(new Mismatch('the server did not close the connection'));
    });
  });
}

/** Over the overlay only binary-message bytes count (the close frame with its reason is the WebSocket's). */
function rawExchangeWs(host, port, bytes, tlsOptions) {
  return new Promise((resolve, reject) => {
    const received = [];
    const ws = new WebSocket(`${tlsOptions ? 'wss' : 'ws'}://${host}:${port}/qrpc`, { perMessageDeflate: false, ...(tlsOptions ?? {}) });
    ws.on('open', () => ws.send(bytes));
    ws.on('message', (data) => received.push(Buffer.from(data)));
    ws.on('error', () => {});
    ws.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(received));
    });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Mismatch('the server did not close the connection'));
    }, SCENARIO_TIMEOUT_MS - 1000);
  });
}

function header(length, requestId, flags, cmd) {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(length, 0);
  b.writeBigUInt64BE(requestId, 4);
  b.writeUInt32BE(((flags << 24) | cmd) >>> 0, 12);
  return b;
}

/** Each scenario: async ({ conn, pushes, host, port }) => void; throws Mismatch (or anything) on failure. */
const scenarios = {
  async hello({ conn }) {
    const { requestId, response } = conn.request(0, 0, 'xu');
    expectEqual(requestId, 3n, 'first request id');
    expectEqual(fields(await response.frame()), [3n, 0, REPLY, 'hello world xu'], 'reply');
  },

  async 'hello-nb'({ conn }) {
    const { requestId, response } = conn.request(0, Flags.NB, 'xu');
    expectEqual(requestId, 3n, 'first request id');
    expectEqual(fields(await response.frame()), [3n, 0, REPLY, 'hello world xu'], 'reply');
  },

  async 'opaque-cmd'({ conn }) {
    const frame = await conn.request(0x070000, Flags.NB, 'op').response.frame();
    expectEqual(fields(frame), [3n, 0, REPLY, 'hello world op'], 'reply (routed by the low 16 bits)');
  },

  async push({ conn, pushes }) {
    const frame = await conn.request(2, Flags.NB, 'xu').response.frame();
    expectEqual(fields(frame), [3n, 0, REPLY, 'push done'], 'reply');
    // The server writes the push before the reply on this connection.
    const mine = pushes.filter((p) => p.payload.toString() === 'pushed xu');
    expect(mine.length >= 1, `expected the push "pushed xu" before the reply, got ${pushes.length} push(es)`);
    expectEqual([mine[0].flags, mine[0].cmd], [Flags.Push, 2], 'push flags and cmd');
    expect(mine[0].requestId > 0n, 'push id from the server counter (≥ 1)');
  },

  async 'client-push'({ conn }) {
    expectEqual(await Promise.all([conn.push(0, 'p0'), conn.push(0, 'p1'), conn.push(0, 'p2')]), [3n, 5n, 7n], 'push ids');
    const { requestId, response } = conn.request(10, 0);
    expectEqual(requestId, 9n, 'request id after three pushes');
    expectEqual(fields(await response.frame()), [9n, 0, REPLY, '3'], 'pushes counted by the server');
  },

  async bidi({ conn }) {
    const frame = await conn.request(3, Flags.NB, 'xu ').response.frame();
    expectEqual(fields(frame), [3n, 0, REPLY, 'xu client resp'], 'reply carrying our answer to the server call');
  },

  async stream({ conn }) {
    const { writer, response } = conn.streamRequest(5, 0, 'a');
    await writer.write('b');
    await writer.end('c');
    const frames = [];
    for await (const f of response.frames()) frames.push(fields(f));
    expectEqual(
      frames,
      [
        [3n, Flags.Stream, 5, 'first a'],
        [3n, Flags.Stream, 5, 'cont b'],
        [3n, Flags.StreamEnd, 5, 'cont c'],
      ],
      'streamed reply',
    );
  },

  async cancel({ conn }) {
    const { requestId, response } = conn.request(6, Flags.NB, 'xu');
    const failed = expectReset(response.frame(), 'cancelled request');
    await sleep(20); // let the handler start waiting (either order is valid)
    await conn.reset(requestId);
    await failed;
    // Go's server still answers "canceled" after the reset (ours sends nothing):
    // either way the connection stays usable.
    expectEqual(fields(await conn.call(0, 'after')), [5n, 0, REPLY, 'hello world after'], 'request after the reset');
  },

  async panic({ conn }) {
    await expectReset(conn.request(7, Flags.NB).response.frame(), 'panicking handler');
    expectEqual(fields(await conn.call(0, 'x')), [5n, 0, REPLY, 'hello world x'], 'request after the reset');
  },

  async noreply({ conn }) {
    await expectReset(conn.request(9, 0).response.frame(), 'handler without a reply');
    expectEqual(fields(await conn.call(0, 'x')), [5n, 0, REPLY, 'hello world x'], 'request after the reset');
  },

  async order({ conn }) {
    // Blocking requests are handled one after another: answers in request order.
    const done = [];
    const waits = [];
    for (let i = 0; i < 4; i++) {
      const { response } = conn.request(8, 0, `s${i}`);
      waits.push(response.frame().then((f) => done.push(f.payload.toString())));
    }
    waits.push(conn.request(0, 0, 'last').response.frame().then((f) => done.push(f.payload.toString())));
    await Promise.all(waits);
    expectEqual(done, ['slow s0', 'slow s1', 'slow s2', 'slow s3', 'hello world last'], 'answer order');
  },

  async codec({ conn }) {
    const payload = 'a'.repeat(1000);
    const frame = await conn.request(11, Flags.NB | Flags.Codec, payload).response.frame();
    expectEqual([frame.requestId, frame.flags & Flags.Codec, frame.cmd], [3n, Flags.Codec, 11], 'reply id, Codec flag, cmd');
    expect(frame.payload.toString() === payload, `decoded reply: expected 1000 × "a", got ${frame.payload.length} bytes`);
  },

  async badframe({ host, port, tls }) {
    // length 5 < 12: the server closes without answering.
    const got = await rawExchange(host, port, header(5, 1n, 0, 0), tls);
    expectEqual(got.length, 0, 'bytes from the server');
  },

  async hugeframe({ host, port, tls }) {
    // length 64 MiB > the 10 MiB limit: the server closes without answering.
    const got = await rawExchange(host, port, header(64 * 1024 * 1024, 1n, 0, 0), tls);
    expectEqual(got.length, 0, 'bytes from the server');
  },

  async big({ conn }) {
    const payload = randomBytes(1024 * 1024);
    const frame = await conn.request(0, Flags.NB, payload).response.frame();
    const want = Buffer.concat([Buffer.from('hello world '), payload]);
    expect(frame.payload.equals(want), `1 MiB echo: got ${frame.payload.length} bytes, expected ${want.length} (or different content)`);
  },

  // Typed services at cmds 10000 / 10001 (Go's codegen envelope). fail() is last: Go's service handler closes the connection after an error answer.
  async svc({ conn }) {
    const calc = serviceClient(conn, 'calc');
    expectEqual(await calc.add({ a: 2, b: 3 }), { sum: 5 }, 'calc:add');
    expectEqual(await calc.echo({ x: [1, 'a', null] }), { x: [1, 'a', null] }, 'calc:echo');
    const err = await calc.fail().then(
      (v) => ({ code: 'resolved', message: JSON.stringify(v) }),
      (e) => e,
    );
    expectEqual([err.code, err.message], ['ERR_REMOTE', 'boom'], 'calc:fail');
  },

  // The echo pipe at cmd 12 (Go's channel package): every message back with its cmd, then the end.
  async pipe({ conn }) {
    const { sender, receiver } = pipe(conn, 12);
    const sent = [[12, { n: 1 }], [0x01000c, 'two'], [7, [3]]];
    await sender.send(...sent[0]);
    await sender.send(...sent[1]);
    await sender.send(...sent[2], { end: true });
    const got = [];
    for await (const m of receiver) got.push([m.cmd, m.message]);
    expectEqual(got, sent, 'messages echoed with their cmds, then the end');
  },
};

const RAW = new Set(['badframe', 'hugeframe']);

async function run(name, host, port, tlsOptions) {
  let conn = null;
  let timer;
  try {
    const pushes = [];
    if (!RAW.has(name)) {
      const address = overWs ? `${tlsOptions ? 'wss' : 'ws'}://${host}:${port}/qrpc` : { host, port };
      conn = await connect(address, { codec: deflateRawCodec(), handler: clientMux(), onPush: (f) => pushes.push(f), ...(tlsOptions ? { tls: tlsOptions } : {}) });
    }
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Mismatch(`no result within ${SCENARIO_TIMEOUT_MS} ms`)), SCENARIO_TIMEOUT_MS);
    });
    await Promise.race([scenarios[name]({ conn, pushes, host, port, tls: tlsOptions }), timeout]);
    return null;
  } catch (err) {
    return err instanceof Mismatch ? err.message : `${err?.code ?? 'error'}: ${err?.message ?? err}`;
  } finally {
    clearTimeout(timer);
    if (conn) await conn.close();
  }
}

const USAGE = 'usage: interop-client --port P [--host H] [--scenario NAME|all] [--ws] [--tls-ca FILE [--tls-cert FILE --tls-key FILE] [--servername NAME]]';
let args;
try {
  args = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      scenario: { type: 'string' },
      'tls-ca': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      servername: { type: 'string' },
      ws: { type: 'boolean' },
    },
  }).values;
} catch (err) {
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}
if (Boolean(args['tls-cert']) !== Boolean(args['tls-key']) || ((args['tls-cert'] || args.servername) && !args['tls-ca'])) {
  console.error(`--tls-cert, --tls-key and --servername need --tls-ca (and the first two go together)\n${USAGE}`);
  process.exit(2);
}
let tlsOptions;
try {
  if (args['tls-ca']) {
    tlsOptions = { ca: readFileSync(args['tls-ca']) };
    if (args['tls-cert']) Object.assign(tlsOptions, { cert: readFileSync(args['tls-cert']), key: readFileSync(args['tls-key']) });
    if (args.servername) tlsOptions.servername = args.servername;
  }
} catch (err) {
  console.error(`cannot read a TLS file: ${err.message}`);
  process.exit(2);
}
const host = args.host ?? '127.0.0.1';
const overWs = args.ws === true;
const port = Number(args.port);
const which = args.scenario ?? 'all';
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('--port P is required');
  process.exit(2);
}
const names = which === 'all' ? Object.keys(scenarios) : which.split(',');
for (const n of names) {
  if (!(n in scenarios)) {
    console.error(`unknown scenario "${n}"; known: ${Object.keys(scenarios).join(', ')}, all`);
    process.exit(2);
  }
}

let passed = 0;
let failed = 0;
for (const name of names) {
  const why = await run(name, host, port, tlsOptions);
  if (why === null) {
    passed++;
    console.log(`ok   ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}: ${why}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
