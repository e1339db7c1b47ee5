// qrpcurl against a TCP server this test starts: Go's output layout byte for byte, --json, flags, pushes,
// --stream from stdin, --listen-pushes, --timeout, and the documented exit codes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Flags, ResetReason } from '../../dist/index.js';
import { startServer, until } from '../helpers.mjs';
import { freePort } from '../services/api-servers.mjs';
import { cliMux, run, start, textFrame } from './qrpcurl-run.mjs';

const { mux, seen } = cliMux();
const pushes = [];
mux.handle(6, async (w, req) => {
  const frames = [{ flags: req.flags, payload: req.payload.toString() }];
  for await (const f of req.frames()) frames.push({ flags: f.flags, payload: f.payload.toString() });
  await w.reply(req.requestId, 6, JSON.stringify(frames));
});
mux.handle(7, async (w, req) => {
  await w.reply(req.requestId, 7, 'subscribed');
  await req.connection.push(8, 'news 1');
  await req.connection.push(8, 'news 2');
});
mux.handle(9, (w, req) => new Promise((resolve) => req.signal.addEventListener('abort', resolve)));
const { server, addr } = await startServer(mux, { onPush: (frame) => pushes.push(frame) });

test('a request: [request] then [response], Go qrpcurl\'s layout plus the request id; exit 0', async () => {
  const r = await run([`${addr}/0`, 'xu']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, textFrame('request', 3, 0, 0, 'xu') + textFrame('response', 3, 0, 1, 'hello world xu'));
  assert.equal(seen.at(-1), { flags: 0, payload: 'xu' }, 'the server got a blocking request with that payload');
});

test('--json --nb: one object per frame, requestId a string, non-UTF-8 payloads in base64; the NB flag reaches the server', async () => {
  const r = await run(['--json', '--nb', `${addr}/0`, 'xu']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').map((l) => JSON.parse(l)), [
    { type: 'request', requestId: '3', flags: Flags.NB, cmd: 0, payload: 'xu', encoding: 'utf8' },
    { type: 'response', requestId: '3', flags: 0, cmd: 1, payload: 'hello world xu', encoding: 'utf8' },
  ]);
  assert.is(seen.at(-1).flags, Flags.NB);
  const bin = await run(['--json', `${addr}/5`]);
  assert.is(JSON.parse(bin.stdout.trim().split('\n')[1]).payload, Buffer.from([0xff, 0x00, 0x80]).toString('base64'));
  assert.is(JSON.parse(bin.stdout.trim().split('\n')[1]).encoding, 'base64');
});

test('-f with the Push flag: a client push (no answer) reaches the binding\'s onPush; exit 0', async () => {
  const r = await run(['-f', String(Flags.Push), `${addr}/4`, 'ping']);
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.stdout.startsWith('[request]\n'));
  assert.not.match(r.stdout, /\[response\]/);
  // The push was queued before qrpcurl closed; close drains it to the server.
  await until(() => pushes.length === 1, 'the push arrived');
  assert.equal({ cmd: pushes[0].cmd, payload: pushes[0].payload.toString(), push: (pushes[0].flags & Flags.Push) !== 0 }, { cmd: 4, payload: 'ping', push: true });
});

test('--stream: PAYLOAD then one frame per stdin line, the last line carries StreamEnd; the server saw exactly those', async () => {
  const r = await run(['--stream', '--json', `${addr}/6`, 'first'], { stdin: 'a\nb\nlast\n' });
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const sent = lines.filter((l) => l.type === 'request').map((l) => [l.flags, l.payload]);
  const S = Flags.Stream;
  assert.equal(sent, [[S, 'first'], [S, 'a'], [S, 'b'], [S | Flags.StreamEnd, 'last']]);
  const answer = JSON.parse(lines.find((l) => l.type === 'response').payload);
  assert.equal(answer, [{ flags: S, payload: 'first' }, { flags: S, payload: 'a' }, { flags: S, payload: 'b' }, { flags: S | Flags.StreamEnd, payload: 'last' }]);
});

test('--listen-pushes: the answer, then every push, until SIGINT (exit 0)', async () => {
  const child = start(['--listen-pushes', `${addr}/7`, 'sub']);
  await child.untilOutput((out) => out.includes('news 2'));
  child.kill('SIGINT');
  const r = await child.result;
  assert.is(r.code, 0, r.stderr);
  const pushIds = [...r.stdout.matchAll(/\[push\]\nrequestId: (\d+)/g)].map((m) => m[1]);
  assert.is(pushIds.length, 2);
  assert.is(r.stdout, textFrame('request', 3, 0, 7, 'sub') + textFrame('response', 3, 0, 7, 'subscribed') + textFrame('push', pushIds[0], Flags.Push, 8, 'news 1') + textFrame('push', pushIds[1], Flags.Push, 8, 'news 2'));
});

test('exit codes: 4 for a reset (unknown cmd), 3 for --timeout, 2 for a refused connect, 1 for usage; --help is 0', async () => {
  const reset = await run([`${addr}/77`, 'x']);
  assert.is(reset.code, 4);
  assert.match(reset.stderr, /ERR_STREAM_RESET/);
  assert.match(reset.stderr, new RegExp(`reason ${ResetReason.UnknownCmd}`));

  const slow = await run(['--timeout', '0.2', `${addr}/9`, 'x']);
  assert.is(slow.code, 3);
  assert.match(slow.stderr, /ERR_TIMEOUT/);

  const refused = await run([`127.0.0.1:${await freePort()}/0`, 'x']);
  assert.is(refused.code, 2);
  assert.match(refused.stderr, /ERR_CONNECT/);

  const usage = [[], [addr, 'x'], [`${addr}/abc`], [`${addr}/16777216`], ['-f', '256', `${addr}/0`], ['--bogus', `${addr}/0`], ['--timeout', '-1', `${addr}/0`], ['--tls-ca', '/nonexistent', `${addr}/0`], [`${addr}/0`, 'a', 'b']];
  const results = await Promise.all(usage.map((args) => run(args)));
  results.forEach((r, i) => {
    assert.is(r.code, 1, `usage error for ${JSON.stringify(usage[i])}: ${r.stderr}`);
    assert.match(r.stderr, /usage: qrpcurl/);
    assert.is(r.stdout, '');
  });
  assert.is(seen.length, 2, 'no usage error sent anything (the two cmd-0 requests are the first tests)');
  const help = await run(['--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, /Exit status:/);
});

test.after(async () => {
  await server.shutdown({ timeoutMs: 500 });
});

test.run();
