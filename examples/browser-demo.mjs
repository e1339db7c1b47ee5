// qrpc-node browser demo (npm run demo:browser): a qrpc server with the
// WebSocket overlay that pushes a tick to every page each second, and an HTTP
// server for a page that uses the browser build (qrpc-node/browser) to show
// the pushes live and to call the server with a button. Stops on Ctrl-C.
//   node examples/browser-demo.mjs [--port 8080] [--interval-ms 1000]
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Server, ServeMux, backend } from '../dist/index.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' }, 'interval-ms': { type: 'string', default: '1000' } } });
const pagePort = Number(values.port);
const intervalMs = Number(values['interval-ms']);
if (!Number.isInteger(pagePort) || pagePort < 0 || pagePort > 65535) throw new Error(`--port must be a port number, got ${values.port}`);
if (!Number.isInteger(intervalMs) || intervalMs < 50) throw new Error(`--interval-ms must be an integer ≥ 50, got ${values['interval-ms']}`);

const CMD = { hello: 1, tick: 2, pageTime: 3 };
const bundle = fileURLToPath(new URL('../dist/browser/qrpc.js', import.meta.url));
const page = readFileSync(new URL('./browser-demo/page.html', import.meta.url));

// ---------------------------------------------------------------- qrpc server
const mux = new ServeMux();
// The button's call: the server asks the page for its clock (a server → page call), then answers.
mux.handle(CMD.hello, async (w, req) => {
  const pageTime = await req.connection.call(CMD.pageTime, '', { timeoutMs: 2000 });
  await w.reply(req.requestId, CMD.hello, `hello ${req.payload}, your clock says ${pageTime.payload}`);
});
const qrpc = new Server([{ addr: '127.0.0.1:0', handler: mux, overlay: 'ws' }]);
await qrpc.listen();
const qrpcUrl = `ws://127.0.0.1:${qrpc.address(0).port}/qrpc`;

let tick = 0;
const ticker = setInterval(() => {
  tick++;
  qrpc.pushAll(0, CMD.tick, `tick ${tick} at ${new Date().toISOString().slice(11, 19)} UTC`);
}, intervalMs);

// ---------------------------------------------------------------- page server
const config = JSON.stringify({ url: qrpcUrl, backend: backend().name, cmds: CMD });
const http = createServer((req, res) => {
  if (req.url === '/' || req.url === '/index.html') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  else if (req.url === '/qrpc.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(bundle));
  else if (req.url === '/config.json') res.writeHead(200, { 'content-type': 'application/json' }).end(config);
  else res.writeHead(404).end('not found');
});
await new Promise((resolve, reject) => {
  http.once('error', reject);
  http.listen(pagePort, '127.0.0.1', resolve);
});
console.log(`backend: ${backend().name}`);
console.log(`qrpc server: ${qrpcUrl}`);
console.log(`open http://127.0.0.1:${http.address().port}/ in a browser (Ctrl-C stops)`);

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping`);
  clearInterval(ticker);
  http.closeAllConnections();
  await Promise.all([new Promise((resolve) => http.close(resolve)), qrpc.shutdown({ timeoutMs: 1000 })]);
  console.log('stopped');
}
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
