// Test certificates made at test time with the system's openssl (nothing
// secret is committed): a CA, a server certificate for 127.0.0.1/localhost,
// client certificates, an expired server certificate and a second,
// unrelated CA with its own client certificate. EC P-256 keys: fast to make.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OPENSSL = process.env.OPENSSL ?? 'openssl';
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Whether openssl can be run here (tests that need certificates say so instead of failing obscurely). */
export function haveOpenssl() {
  try {
    execFileSync(OPENSSL, ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function run(dir, args) {
  execFileSync(OPENSSL, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir, name) {
  run(dir, ['req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`]);
}

/** A leaf signed by `ca`; `days` < 0 makes one that expired yesterday. */
function makeLeaf(dir, ca, name, cn, { san = null, usage, days = 2 } = {}) {
  run(dir, ['req', '-new', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  const ext = [`extendedKeyUsage=${usage}`];
  if (san) ext.push(`subjectAltName=${san}`);
  writeFileSync(join(dir, `${name}.ext`), ext.join('\n') + '\n');
  const serial = String(Math.floor(Math.random() * 1e9) + 1);
  run(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', serial, '-days', String(days), '-out', `${name}.crt`, '-extfile', `${name}.ext`]);
}

/**
 * Makes the set in a fresh temp dir. Returns { dir, files: {name: path},
 * pem: {name: Buffer}, cleanup() } for names ca, server, client, client2,
 * expired, otherCa, otherClient (each a .crt; leaves also a .key).
 */
export function makeTestCertificates() {
  const dir = mkdtempSync(join(tmpdir(), 'qrpc-tls-'));
  const SERVER_SAN = 'IP:127.0.0.1,DNS:localhost';
  makeCa(dir, 'ca');
  makeCa(dir, 'otherCa');
  makeLeaf(dir, 'ca', 'server', 'localhost', { san: SERVER_SAN, usage: 'serverAuth' });
  makeLeaf(dir, 'ca', 'expired', 'localhost', { san: SERVER_SAN, usage: 'serverAuth', days: -1 });
  makeLeaf(dir, 'ca', 'client', 'device-1', { usage: 'clientAuth' });
  makeLeaf(dir, 'ca', 'client2', 'device-2', { usage: 'clientAuth' });
  makeLeaf(dir, 'otherCa', 'otherClient', 'intruder', { usage: 'clientAuth' });
  makeLeaf(dir, 'otherCa', 'otherServer', 'localhost', { san: SERVER_SAN, usage: 'serverAuth' });
  const files = {};
  const pem = {};
  for (const name of ['ca', 'otherCa', 'server', 'expired', 'client', 'client2', 'otherClient', 'otherServer']) {
    files[name] = join(dir, `${name}.crt`);
    pem[name] = readFileSync(files[name]);
    if (name !== 'ca' && name !== 'otherCa') {
      files[`${name}Key`] = join(dir, `${name}.key`);
      pem[`${name}Key`] = readFileSync(files[`${name}Key`]);
    }
  }
  return { dir, files, pem, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
