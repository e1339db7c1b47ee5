// npm start (examples/demo.mjs) on the backend under test: prints the backend,
// exits by itself, and its last line points the user at the browser demo.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('npm start prints the backend, exits 0, and ends with the browser demo hint', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'examples', 'demo.mjs')], { env: process.env, timeout: 50_000 });
  assert.match(stdout, new RegExp(`backend: ${process.env.QRPC_BACKEND ?? '(native|fallback)'}\\b`));
  const lines = stdout.trimEnd().split('\n');
  assert.match(lines[lines.length - 1], /^next: npm run demo:browser\b/);
});

test.run();
