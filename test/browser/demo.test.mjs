// The browser demo (npm run demo:browser) as a user runs it: the example
// process on the backend under test, its page in real Chromium showing live
// pushes, the button's call answered (with a server → page call inside), a
// screenshot saved to artifacts/, and the example stopped by SIGTERM.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrowser } from './harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const backendName = process.env.QRPC_BACKEND ?? 'native';

/** Starts the example; resolves with the page URL once it printed it. */
function startDemo() {
  const child = spawn(process.execPath, [join(root, 'examples', 'browser-demo.mjs'), '--port', '0', '--interval-ms', '200'], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /open (http:\/\/\S+) in a browser/.exec(out);
      if (m) resolve(m[1]);
    });
    child.stderr.on('data', (chunk) => (err += chunk));
    exited.then(({ code }) => reject(new Error(`the demo exited (${code}) before serving: ${err}`)));
  });
  return { child, url, exited, output: () => out, errors: () => err };
}

const demo = startDemo();
const browser = await startBrowser();

test('the demo prints the backend and serves its page', async () => {
  await demo.url;
  assert.match(demo.output(), new RegExp(`^backend: ${backendName}$`, 'm'));
  assert.match(demo.output(), /^qrpc server: ws:\/\/127\.0\.0\.1:\d+\/qrpc$/m);
});

test('the page shows live pushes and the answer to its button; screenshot saved', async () => {
  const page = browser.page;
  await page.goto(await demo.url);
  await page.waitForFunction(() => window.demoReady === true && document.getElementById('status').textContent === 'open');
  assert.is(await page.textContent('#backend'), backendName);
  await page.waitForFunction(() => Number(document.getElementById('count').textContent) >= 3);
  const ticks = await page.$$eval('#pushes li', (items) => items.map((li) => li.textContent));
  assert.ok(ticks.every((t) => /^tick \d+ at \d\d:\d\d:\d\d UTC$/.test(t)), ticks.join(' / '));
  // Newest first, consecutive.
  const numbers = ticks.map((t) => Number(/tick (\d+)/.exec(t)[1]));
  assert.equal(numbers, numbers.map((_, i) => numbers[0] - i));
  await page.click('#call');
  await page.waitForFunction(() => document.getElementById('reply').textContent !== '');
  assert.match(await page.textContent('#reply'), /^hello the page, your clock says \d\d:\d\d:\d\d$/);
  mkdirSync(join(root, 'artifacts'), { recursive: true });
  const file = join(root, 'artifacts', `browser-demo-${backendName}.png`);
  const png = await page.screenshot({ path: file, fullPage: true });
  assert.equal([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
  assert.equal(browser.errors.map(String), []);
});

test('SIGTERM stops the demo cleanly', async () => {
  demo.child.kill('SIGTERM');
  const { code } = await demo.exited;
  assert.is(code, 0, demo.errors());
  assert.match(demo.output(), /SIGTERM: stopping\nstopped\n$/);
});

test.after(async () => {
  await browser.close();
  if (demo.child.exitCode === null && demo.child.signalCode === null) demo.child.kill('SIGKILL');
});
test.run();
