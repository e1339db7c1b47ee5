// Fault 8: structure-aware fuzz of the TypeScript session. A seeded PRNG
// generates frame sequences (flags from the protocol's combinations and
// random bytes; ids fresh / odd / even / reused / 0 / 2^64-1 / random; resets
// of unknown ids; streams opened, continued, ended, reset; pushes; known and
// unknown cmds; payloads of 0..4096 bytes, some with a real or a broken
// Codec payload; sometimes split mid-frame or followed by a hostile header).
//  A: a raw TCP peer sends them to a real Server whose handlers answer,
//     stream, throw, reject, never answer, read req.frames(), write twice.
//  B: a raw TCP "server" sends them to a real client that has calls,
//     requests, streamed responses and a streamed request in flight.
// Invariants: no unhandled rejection / uncaught exception; after the raw peer
// closes, server.stats(0).connections returns to 0 (A) and every pending
// client operation settles (B); the server answers a fresh client after
// every round. Fixed seeds; a failure names its seed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import zlib from 'node:zlib';
import { ServeMux, connect, deflateRawCodec, encodeFrame, Flags } from '../../dist/index.js';
import { startServer, RawPeer, rawServer } from '../helpers.mjs';
import { trapFatal, waitFor, within, delay, report } from './lib.mjs';

// QRPC_FUZZ_SEED=n replays one seed (fuzz A seeds 1.., fuzz B seeds 1000001..); QRPC_FUZZ_ROUNDS scales the rounds.
const SCALE = Number(process.env.QRPC_FUZZ_ROUNDS ?? 1);
const ONLY_SEED = process.env.QRPC_FUZZ_SEED ? Number(process.env.QRPC_FUZZ_SEED) : null;
const SERVER_ROUNDS = Math.round(200 * SCALE);
const CLIENT_ROUNDS = Math.round(100 * SCALE);
const seedsA = ONLY_SEED === null ? Array.from({ length: SERVER_ROUNDS }, (_, i) => i + 1) : ONLY_SEED < 1_000_000 ? [ONLY_SEED] : [];
const seedsB = ONLY_SEED === null ? Array.from({ length: CLIENT_ROUNDS }, (_, i) => 1_000_001 + i) : ONLY_SEED >= 1_000_000 ? [ONLY_SEED] : [];

/** Raw DEFLATE behind promises (the session's asynchronous codec path). */
const asyncDeflate = () => ({
  encode: async (b) => zlib.deflateRawSync(b),
  decode: async (b) => {
    await null;
    return zlib.inflateRawSync(b);
  },
});
const MAX_FRAME = 64 * 1024;
const U64_MAX = (1n << 64n) - 1n;

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const F = Flags;
const FLAG_CHOICES = [0, F.NB, F.Stream, F.Stream | F.StreamEnd, F.StreamEnd, F.StreamRst, F.Stream | F.StreamRst, F.Push, F.Push | F.NB, F.Codec, F.Codec | F.NB, F.Codec | F.Stream, F.Push | F.Codec, F.NB | F.StreamRst];

class Gen {
  constructor(seed) {
    this.rng = mulberry32(seed);
    this.nextOdd = 1n;
    this.nextEven = 2n;
    this.used = [];
  }
  int(n) {
    return Math.floor(this.rng() * n);
  }
  pick(a) {
    return a[this.int(a.length)];
  }
  chance(p) {
    return this.rng() < p;
  }
  id(known = []) {
    const r = this.int(100);
    let id;
    if (known.length && r < 30) id = this.pick(known);
    else if (r < 50) id = this.nextOdd += 2n;
    else if (r < 60) id = this.nextEven += 2n;
    else if (r < 72 && this.used.length) id = this.pick(this.used);
    else if (r < 78) id = U64_MAX;
    else if (r < 82) id = U64_MAX - 1n;
    else if (r < 86) id = 0n;
    else if (r < 92) id = BigInt(this.int(2 ** 31)) * 4294967296n + BigInt(this.int(2 ** 32)); // random, high half set
    else id = BigInt(this.int(1000));
    this.used.push(id);
    return id;
  }
  flags() {
    return this.chance(0.06) ? this.int(256) : this.pick(FLAG_CHOICES);
  }
  cmd() {
    const r = this.int(10);
    if (r < 7) return this.int(8);
    if (r < 9) return this.int(0x1000000); // mostly unknown
    return (this.int(256) << 16) | this.int(7); // opaque byte set
  }
  payload(flags) {
    const size = this.pick([0, 0, 1, 3, 16, 64, 200, 1024, 4096, this.int(4097)]);
    const p = Buffer.alloc(size);
    for (let i = 0; i < size; i++) p[i] = this.chance(0.5) ? 0x61 + (i % 7) : this.int(256);
    if (flags & F.Codec && size > 0 && this.chance(0.85)) return zlib.deflateRawSync(p); // a real encoded payload
    return p;
  }
  frame(known) {
    const flags = this.flags();
    return encodeFrame(this.id(known), flags, this.cmd(), this.payload(flags));
  }
  /** A stream scenario on one id: open, continue, then end / reset / leave open. */
  stream(known) {
    const id = this.id(known);
    const cmd = this.pick([1, 5, 5, 4, 0, this.int(0x1000000)]);
    const first = F.Stream | (this.chance(0.2) ? F.Codec : 0);
    const out = [encodeFrame(id, first, cmd, this.payload(first))];
    for (let k = this.int(4); k > 0; k--) out.push(encodeFrame(id, F.Stream, cmd, this.payload(0)));
    const end = this.int(4);
    if (end === 0) out.push(encodeFrame(id, F.StreamEnd, cmd, this.payload(0)));
    else if (end === 1) out.push(encodeFrame(id, F.Stream | F.StreamEnd, cmd, this.payload(0)));
    else if (end === 2) out.push(encodeFrame(id, F.StreamRst, 0, Buffer.alloc(0)));
    return out;
  }
  hostileTail() {
    const h = Buffer.alloc(16);
    h.writeUInt32BE(this.chance(0.5) ? this.int(12) : MAX_FRAME + 1 + this.int(1000), 0);
    return h;
  }
  /** A sequence of encoded frames; returns the chunks to write (possibly split mid-frame). */
  sequence(known = []) {
    const frames = [];
    for (let n = 3 + this.int(30); n > 0; n--) {
      const r = this.int(10);
      if (r < 6) frames.push(this.frame(known));
      else if (r < 8) frames.push(...this.stream(known));
      else frames.push(encodeFrame(this.id([]), F.StreamRst, this.int(4), Buffer.alloc(0))); // reset of an (often) unknown id
    }
    if (this.chance(0.05)) frames.push(this.hostileTail());
    const all = Buffer.concat(frames);
    const chunks = [];
    let at = 0;
    while (at < all.length) {
      const n = this.chance(0.5) ? all.length - at : 1 + this.int(Math.max(1, all.length - at));
      chunks.push(all.subarray(at, at + n));
      at += n;
    }
    return chunks;
  }
}

/** Handlers running now, per side; every handler is wrapped to count itself in and out. */
const running = { server: 0, client: 0 };
function counted(side, mux) {
  const handle = mux.handle.bind(mux);
  mux.handle = (cmd, fn, ...mw) =>
    handle(
      cmd,
      async (w, req) => {
        running[side]++;
        try {
          return await fn(w, req);
        } finally {
          running[side]--;
        }
      },
      ...mw,
    );
  return mux;
}

function serverMux() {
  const mux = counted('server', new ServeMux());
  mux.handle(0, (w, req) => w.reply(req.requestId, 1, Buffer.concat([Buffer.from('hello world '), req.payload])));
  mux.handle(1, async (w, req) => {
    for (let i = 0; i < 3; i++) await w.startWrite(req.requestId, 1, F.Stream).writeBytes(`part${i}`).endWrite();
    await w.startWrite(req.requestId, 1, F.StreamEnd).writeBytes('end').endWrite();
  });
  mux.handle(2, () => {
    throw new Error('handler throws (fuzz)');
  });
  mux.handle(3, async () => {
    await null;
    throw new Error('handler rejects (fuzz)');
  });
  mux.handle(4, (w, req) => new Promise((resolve) => req.signal.addEventListener('abort', resolve, { once: true })));
  mux.handle(5, async (w, req) => {
    let n = 0;
    for await (const f of req.frames()) n += f.payload.length;
    await w.reply(req.requestId, 5, `got ${n}`);
  });
  mux.handle(6, async (w, req) => {
    await w.reply(req.requestId, 6, 'once');
    await w.reply(req.requestId, 6, 'twice').catch(() => {});
  });
  mux.handle(7, (w, req) => w.startWrite(req.requestId, 7, F.Codec).writeBytes(Buffer.alloc(300, 0x61)).endWrite());
  return mux;
}

const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {}, child() { return quietLogger; } };

test(`fuzz A: ${seedsA.length} seeded rounds of random frame sequences from a raw peer to a real Server`, async () => {
  const fatal = trapFatal();
  const pushes = { n: 0 };
  const closeCodes = {};
  const onClose = (_info, err) => {
    const k = err?.code ?? 'clean';
    closeCodes[k] = (closeCodes[k] ?? 0) + 1;
  };
  // Odd seeds: a synchronous codec; even seeds: an asynchronous one.
  const servers = [];
  for (const codec of [asyncDeflate(), deflateRawCodec()]) servers.push(await startServer(serverMux(), { codec, maxFrameSize: MAX_FRAME, onPush: () => pushes.n++, onClose }, { logger: quietLogger }));
  let framesBack = 0;
  let closedByServer = 0;
  try {
    for (const seed of seedsA) {
      const { server, port, addr } = servers[seed % 2];
      const before = fatal.seen.length;
      try {
        const g = new Gen(seed);
        const peer = await RawPeer.connect(port);
        for (const c of g.sequence()) peer.send(c);
        const wait = g.int(4);
        if (wait >= 2) await Promise.race([peer.waitFrames(1 + g.int(8)).catch(() => {}), delay(30)]);
        else if (wait === 1) await delay(g.int(10));
        if (peer.closed) closedByServer++;
        if (g.chance(0.5)) peer.end();
        else peer.destroy();
        await waitFor(() => server.stats(0).connections === 0, 5_000, () => `server.stats(0).connections === 0 (is ${server.stats(0).connections})`);
        await waitFor(() => running.server === 0, 5_000, () => `every server handler of the closed connection finished (${running.server} still running)`);
        framesBack += peer.frames.length;
        peer.destroy();
        const fresh = await within(connect(addr), 5_000, 'fresh client connect');
        try {
          const f = await within(fresh.call(0, `seed${seed}`), 5_000, 'fresh client call');
          assert.is(f.payload.toString(), `hello world seed${seed}`);
          assert.is(server.stats(0).openStreams, 0, 'a completed call leaves no stream record behind (and the fuzzed connection left none)');
        } finally {
          await fresh.close();
        }
        await waitFor(() => server.stats(0).connections === 0, 5_000, 'fresh client gone');
        assert.is(fatal.seen.length, before, `no unhandled rejection / uncaught exception: ${fatal.seen.slice(before).map((s) => `${s.kind}: ${s.err?.stack ?? s.err}`).join('\n')}`);
      } catch (err) {
        err.message = `fuzz A seed ${seed} (replay: QRPC_FUZZ_SEED=${seed}): ${err.message}`;
        console.log(`  fuzz A failed at seed ${seed}`);
        throw err;
      }
    }
    report(`fuzz A: ${seedsA.length} rounds, ${framesBack} frames answered to the raw peers, ${closedByServer} rounds closed by the server before the peer, ${pushes.n} pushes delivered, server close codes ${JSON.stringify(closeCodes)}, unhandled ${fatal.seen.length}`);
  } finally {
    for (const { server } of servers) await server.shutdown({ timeoutMs: 500 });
    fatal.dispose();
  }
});

function clientMux() {
  const mux = counted('client', new ServeMux());
  mux.handle(0, (w, req) => w.reply(req.requestId, 1, 'client answers'));
  mux.handle(2, () => {
    throw new Error('client handler throws (fuzz)');
  });
  mux.handle(4, (w, req) => new Promise((resolve) => req.signal.addEventListener('abort', resolve, { once: true })));
  mux.handle(5, async (w, req) => {
    for await (const f of req.frames()) void f;
    await w.reply(req.requestId, 5, 'done');
  });
  return mux;
}

test(`fuzz B: ${seedsB.length} seeded rounds of random frames from a raw "server" to a real client with calls and streams in flight`, async () => {
  const fatal = trapFatal();
  const raw = await rawServer(() => {});
  const outcomes = {};
  try {
    for (const [round, seed] of seedsB.entries()) {
      const before = fatal.seen.length;
      const g = new Gen(seed);
      let conn = null;
      try {
        conn = await within(connect(`127.0.0.1:${raw.port}`, { handler: clientMux(), codec: seed % 2 ? deflateRawCodec() : asyncDeflate(), maxFrameSize: MAX_FRAME, onPush: () => {}, logger: quietLogger }), 5_000, 'client connect');
        const peer = await within(raw.peer(round), 5_000, 'raw server accept');
        const ops = [];
        const op = (fn) => {
          const p = Promise.resolve().then(fn);
          p.catch(() => {}); // observed at once (allSettled below reads the outcome)
          ops.push(p);
        };
        for (let k = 1 + g.int(6); k > 0; k--) op(() => conn.call(g.pick([0, 1, 5, 9]), g.payload(0), g.chance(0.3) ? { timeoutMs: 20 + g.int(200) } : undefined));
        op(() => conn.request(1, F.NB, 'r').response.frame());
        op(async () => {
          const { response } = conn.request(1, F.NB, 'stream please');
          let n = 0;
          for await (const f of response.frames()) n += f ? 1 : 0;
          return n;
        });
        op(async () => {
          const { writer, response } = conn.streamRequest(5, 0, 'first');
          const settledResponse = Promise.allSettled([response.frame()]);
          await writer.write('more');
          await writer.end('last');
          return settledResponse;
        });
        if (g.chance(0.5)) op(() => conn.call(7, Buffer.alloc(300, 0x61), { flags: F.Codec }));
        if (g.chance(0.5)) op(() => conn.push(3, 'p'));
        await Promise.race([peer.waitFrames(1).catch(() => {}), delay(50)]);
        const known = peer.frames.map((f) => f.requestId);
        for (const c of g.sequence(known)) peer.send(c);
        if (g.chance(0.5)) await delay(g.int(10));
        if (g.chance(0.5)) peer.end();
        else peer.destroy();
        const settled = await within(Promise.allSettled(ops), 5_000, () => `every pending client operation settles`);
        for (const s of settled) {
          const k = s.status === 'fulfilled' ? 'fulfilled' : s.reason?.code ?? `non-qrpc ${s.reason?.name}`;
          outcomes[k] = (outcomes[k] ?? 0) + 1;
        }
        await within(conn.closed, 5_000, 'conn.closed after the raw peer closed');
        assert.is(conn.openStreams, 0, 'no call or served request left tracked after the close');
        await waitFor(() => running.client === 0, 5_000, () => `every client handler finished after the close (${running.client} still running)`);
        assert.is(fatal.seen.length, before, `no unhandled rejection / uncaught exception: ${fatal.seen.slice(before).map((s) => `${s.kind}: ${s.err?.stack ?? s.err}`).join('\n')}`);
      } catch (err) {
        err.message = `fuzz B seed ${seed} (replay: QRPC_FUZZ_SEED=${seed}): ${err.message}`;
        console.log(`  fuzz B failed at seed ${seed}`);
        throw err;
      } finally {
        await conn?.close();
      }
    }
    report(`fuzz B: ${seedsB.length} rounds; client operation outcomes ${JSON.stringify(outcomes)}; unhandled ${fatal.seen.length}`);
  } finally {
    await raw.close();
    fatal.dispose();
  }
});

test.run();
