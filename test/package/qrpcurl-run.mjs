// Runs the qrpcurl bin as a subprocess (as users run it), feeding stdin and collecting everything.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Flags, ServeMux } from '../../dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The file package.json's "bin" names. */
export const BIN = join(root, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin.qrpcurl);

/** Starts qrpcurl; `child.result` settles with { code, stdout, stderr } when it exits. */
export function start(args, { stdin = '' } = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters = [];
  child.stdout.on('data', (d) => {
    stdout += d;
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(stdin);
  child.result = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  /** Resolves once stdout satisfies `fn`. */
  child.untilOutput = async (fn) => {
    while (!fn(stdout)) await new Promise((resolve) => waiters.push(resolve));
  };
  return child;
}

export const run = (args, options) => start(args, options).result;

/** The Go demo's hello handler (cmd 0 → cmd 1 "hello world " + payload), a reply with binary bytes (cmd 5), flags seen per cmd. */
export function cliMux() {
  const seen = [];
  const mux = new ServeMux();
  mux.handle(0, (w, req) => {
    seen.push({ flags: req.flags, payload: req.payload.toString() });
    return w.startWrite(req.requestId, 1, 0).writeBytes('hello world ').writeBytes(req.payload).endWrite();
  });
  mux.handleCall(5, () => Buffer.from([0xff, 0x00, 0x80]));
  return { mux, seen, Flags };
}

export function textFrame(kind, requestId, flag, cmd, payload) {
  return `[${kind}]\nrequestId: ${requestId}\nflag: ${flag}\ncmd: ${cmd}\npayload:\n${payload}\n\n`;
}
