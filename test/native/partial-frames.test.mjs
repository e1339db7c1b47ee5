// A partial frame costs what was received, not what its header claims: the
// parser tail grows with the bytes (native/frame_parser.h). Measured with the
// addon's tailBytes counter (capacity of every live tail) and the process's
// VmData (a malloc'd 10 MiB tail shows there even while its pages are untouched).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { nativeOrSkip, listen, rawClient, encode, recorder, tick } from './_native.mjs';

const native = nativeOrSkip('native partial frames');
const t = native?.transport;
const addon = native?.addon;

const MiB = 1024 * 1024;
const vmDataBytes = () => Number(/VmData:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;

if (t) {
  test('300 headers claiming 10 MiB each hold far less than 300 x 10 MiB', async () => {
    const N = 300;
    const CLAIM = 10 * MiB; // = the default maxFrameSize: accepted
    assert.type(addon.stats().tailBytes, 'number', 'stats() reports tailBytes');
    const recs = [];
    const listener = await listen(t, { stalledPayloadMs: 0, maxFrameSize: CLAIM }, (conn) => {
      const rec = recorder();
      recs.push(rec);
      conn.attach(rec);
    });
    const tailBefore = addon.stats().tailBytes;
    const vmBefore = vmDataBytes();
    const head = encode(7n, 0, 1, Buffer.alloc(0));
    head.writeUInt32BE(CLAIM, 0);
    const partial = Buffer.concat([head, Buffer.from('abcd')]); // header + 4 payload bytes
    const raws = [];
    for (let i = 0; i < N; i++) {
      const raw = await rawClient(listener.port);
      raw.write(partial);
      raws.push(raw);
    }
    // await: every connection's 20 bytes are held as a partial frame
    while (addon.stats().tailBytes - tailBefore < N * partial.length) await tick();
    const tail = addon.stats().tailBytes - tailBefore;
    const vm = vmDataBytes() - vmBefore;
    console.log(`# ${N} partial frames: tailBytes +${(tail / MiB).toFixed(2)} MiB, VmData +${(vm / MiB).toFixed(1)} MiB (claimed ${N * 10} MiB)`);
    assert.ok(tail < 32 * MiB, `tail bytes ${tail}`);
    assert.ok(vm < 256 * MiB, `VmData growth ${vm}`);
    // the frames still complete: finish one and it arrives whole
    const rest = Buffer.alloc(CLAIM - 12 - 4, 0x5a);
    raws[0].write(rest);
    while (!recs.some((r) => r.frames.length === 1)) await tick();
    const f = recs.find((r) => r.frames.length === 1).frames[0];
    assert.is(f.payload.length, CLAIM - 12);
    assert.is(f.payload.subarray(0, 4).toString(), 'abcd');
    assert.ok(f.payload.subarray(4).every((b) => b === 0x5a));
    for (const raw of raws) raw.destroy();
    while (recs.filter((r) => r.closed !== undefined).length < N) await tick();
    assert.is(addon.stats().tailBytes, tailBefore, 'closing gives the tails back');
    await listener.close();
  });
}

test.run();
