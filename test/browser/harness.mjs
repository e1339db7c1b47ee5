// Real Chromium for the browser suites: Debian's /usr/bin/chromium driven by
// playwright-core, a fresh profile per browser, a page server that hands out
// the browser build, and a qrpc server with a ws:// and a wss:// binding.
import { createHash, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Server, silentLogger } from '../../dist/index.js';
import { makeTestCertificates } from '../tls-certs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUNDLE = join(root, 'dist', 'browser', 'qrpc.js');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** base64 of the SHA-256 of a certificate's SubjectPublicKeyInfo: what --ignore-certificate-errors-spki-list takes. */
export function spkiHash(certPem) {
  const spki = createPublicKey(certPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/**
 * Chromium with a fresh --user-data-dir (removed on close). `trustSpki`: the
 * SPKI hashes whose certificates it accepts for this run only (Chromium honours
 * that list only with a user data dir of its own, which this is).
 */
export async function startBrowser({ trustSpki = [] } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'qrpc-chromium-'));
  const args = [...CHROMIUM_ARGS];
  if (trustSpki.length > 0) args.push(`--ignore-certificate-errors-spki-list=${trustSpki.join(',')}`);
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args, viewport: { width: 900, height: 640 } });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on('pageerror', (err) => errors.push(err));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const TEST_PAGE = `<!doctype html><meta charset="utf-8"><title>qrpc browser test</title>
<script type="module">
import * as qrpc from '/qrpc.js';
window.qrpc = qrpc;
// Errors cross page.evaluate as plain objects.
window.errorInfo = (e) => ({ name: e?.name, code: e?.code, message: String(e?.message), cause: e?.cause?.code ?? null, reason: e?.reason ?? null });
window.settle = (promise) => promise.then((value) => ({ ok: true, value }), (e) => ({ ok: false, error: window.errorInfo(e) }));
window.ready = true;
</script>`;

/** An HTTP server for the test page and the bundle (module scripts need http, not file://). */
export function startPageServer() {
  const server = createServer((req, res) => {
    if (req.url === '/qrpc.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(BUNDLE));
    } else if (req.url === '/qrpc.js.map') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(readFileSync(`${BUNDLE}.map`));
    } else if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(TEST_PAGE);
    } else res.writeHead(404).end();
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

/**
 * A qrpc server on the backend under test (QRPC_BACKEND, set by the runner)
 * with binding 0 on ws:// and binding 1 on wss:// (certificates made now).
 */
export async function startQrpcServer(handler, binding = {}) {
  const certs = makeTestCertificates();
  const server = new Server(
    [
      { addr: '127.0.0.1:0', handler, overlay: 'ws', ...binding },
      { addr: '127.0.0.1:0', handler, overlay: 'ws', tls: { key: certs.pem.serverKey, cert: certs.pem.server }, ...binding },
    ],
    { logger: silentLogger },
  );
  await server.listen();
  return {
    server,
    urls: { ws: `ws://127.0.0.1:${server.address(0).port}/qrpc`, wss: `wss://127.0.0.1:${server.address(1).port}/qrpc` },
    spki: spkiHash(certs.pem.server),
    async close() {
      await server.shutdown({ timeoutMs: 500 });
      certs.cleanup();
    },
  };
}

/**
 * Everything a suite needs: qrpc server, page server, Chromium on the test
 * page with the bundle loaded (window.qrpc). Stop it with env.close().
 */
export async function startBrowserEnv(handler, binding = {}) {
  const qrpc = await startQrpcServer(handler, binding);
  const pages = await startPageServer();
  const browser = await startBrowser({ trustSpki: [qrpc.spki] });
  await browser.page.goto(pages.url);
  await browser.page.waitForFunction(() => window.ready === true);
  return {
    ...qrpc,
    page: browser.page,
    browser,
    pageUrl: pages.url,
    async close() {
      await browser.close();
      await pages.close();
      await qrpc.close();
    },
  };
}

/** Both schemes, for suites that run each check over ws:// and wss://. */
export const SCHEMES = ['ws', 'wss'];
