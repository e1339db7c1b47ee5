// Backend selection (architecture: QRPC_BACKEND=native|fallback forces one,
// anything else is an error; backend() reports the active one and why the
// native addon is not used). Each case runs in a child process because the
// choice is made once per process.
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const DIST = JSON.stringify(new URL('../../dist/index.js', import.meta.url).href);

/** Runs an ES module snippet with QRPC_BACKEND set (or unset for null); resolves with its JSON output. */
function run(backendEnv, body) {
  const env = { ...process.env };
  delete env.QRPC_BACKEND;
  if (backendEnv !== null) env.QRPC_BACKEND = backendEnv;
  const script = `
    import * as q from ${DIST};
    const out = {};
    const capture = (err) => ({ code: err?.code ?? null, message: String(err?.message ?? err), isError: err instanceof Error, isQrpc: err instanceof q.QrpcError });
    ${body}
    process.stdout.write(JSON.stringify(out));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({ code, out: JSON.parse(stdout), stderr });
      } catch {
        reject(new Error(`child exited ${code}; stdout ${JSON.stringify(stdout)}; stderr ${stderr}`));
      }
    });
  });
}

test('QRPC_BACKEND=bogus: listening a Server fails with ERR_BACKEND and a clear message; backend() and connect() too', async () => {
  const { code, out, stderr } = await run(
    'bogus',
    `
    const server = new q.Server([{ addr: '127.0.0.1:0', handler: () => {} }]);
    try { await server.listen(); out.listen = 'listened'; } catch (err) { out.listen = capture(err); }
    try { out.backend = q.backend(); } catch (err) { out.backend = capture(err); }
    try { await q.connect('127.0.0.1:1'); out.connect = 'connected'; } catch (err) { out.connect = capture(err); }
    `,
  );
  assert.is(code, 0, stderr);
  for (const what of ['listen', 'backend', 'connect']) {
    const r = out[what];
    assert.type(r, 'object', `${what} failed`);
    assert.is(r.code, 'ERR_BACKEND', `${what}: ${r.message}`);
    assert.ok(r.isError && r.isQrpc, `${what}: a QrpcError`);
    assert.match(r.message, /bogus/, 'the message names the bad value');
    assert.match(r.message, /native/);
    assert.match(r.message, /fallback/, 'and says what is allowed');
  }
});

test('QRPC_BACKEND=fallback: backend() is the fallback, forced, with a loadError saying why the addon is not used; a server works', async () => {
  const { code, out, stderr } = await run(
    'fallback',
    `
    out.info = q.backend();
    const server = new q.Server([{ addr: '127.0.0.1:0', handler: (w, req) => w.reply(req.requestId, 0, 'pong') }]);
    await server.listen();
    const conn = await q.connect('127.0.0.1:' + server.address(0).port);
    out.reply = (await conn.call(0)).payload.toString();
    await conn.close();
    await server.shutdown({ timeoutMs: 200 });
    out.after = q.backend();
    `,
  );
  assert.is(code, 0, stderr);
  assert.is(out.info.name, 'fallback');
  assert.is(out.info.forced, true);
  assert.type(out.info.loadError, 'string');
  assert.ok(out.info.loadError.length > 0, 'loadError explains why native is not in use');
  assert.is(out.reply, 'pong');
  assert.equal(out.after, out.info, 'the choice is stable for the process');
});

test('backend() returns a copy: mutating it does not change the active backend', async () => {
  const { out } = await run('fallback', `const b = q.backend(); b.name = 'native'; out.again = q.backend().name;`);
  assert.is(out.again, 'fallback');
});

test('QRPC_BACKEND unset: native when it loads (loadError null), else the fallback with a loadError; not forced', async () => {
  const { code, out, stderr } = await run(null, `out.info = q.backend();`);
  assert.is(code, 0, stderr);
  assert.is(out.info.forced, false);
  assert.ok(out.info.name === 'native' || out.info.name === 'fallback', out.info.name);
  if (out.info.name === 'native') assert.is(out.info.loadError, null);
  else {
    assert.type(out.info.loadError, 'string');
    assert.ok(out.info.loadError.length > 0);
  }
});

test('QRPC_BACKEND=native: works when the addon loads, otherwise ERR_BACKEND naming the load error (never a silent fallback)', async () => {
  const unforced = (await run(null, `out.info = q.backend();`)).out.info;
  const { code, out, stderr } = await run(
    'native',
    `
    try { out.info = q.backend(); } catch (err) { out.info = capture(err); }
    const server = new q.Server([{ addr: '127.0.0.1:0', handler: () => {} }]);
    try { await server.listen(); out.listen = 'listened'; await server.shutdown({ timeoutMs: 100 }); } catch (err) { out.listen = capture(err); }
    `,
  );
  assert.is(code, 0, stderr);
  if (unforced.name === 'native') {
    assert.equal(out.info, { name: 'native', loadError: null, forced: true });
    assert.is(out.listen, 'listened');
  } else {
    assert.is(out.info.code, 'ERR_BACKEND');
    assert.ok(out.info.message.includes(unforced.loadError), 'the message carries the load error');
    assert.is(out.listen.code, 'ERR_BACKEND');
  }
});

test('an empty QRPC_BACKEND is the same as unset', async () => {
  const { code, out, stderr } = await run('', `out.info = q.backend();`);
  assert.is(code, 0, stderr);
  assert.is(out.info.forced, false);
});

test.run();
