// Every TypeScript-relevant README snippet compiles with `tsc --strict` against
// the published declarations (issue 8 §5): README code is what users paste.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as api from '../../dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The ```js / ```ts blocks of the README, in order. */
function snippets() {
  const text = readFileSync(join(root, 'README.md'), 'utf8');
  return [...text.matchAll(/^```(?:js|ts|javascript|typescript)\n([\s\S]*?)^```/gm)].map((m) => m[1]);
}

// The free names README fragments use (the reader's own variables), typed as a user would have them.
const PRELUDE = `
import type { ServeMux, BindingOptions, Logger, Codec, Frame, ConnectionInfo, Connection, QrpcError } from 'qrpc-node';
declare global {
  const mux: ServeMux;
  const adminMux: ServeMux;
  const clientMux: ServeMux<Connection>;
  const onPush: (frame: Frame, info: ConnectionInfo) => void;
  const onKick: (info: ConnectionInfo) => void | Promise<void>;
  const onAccept: (info: ConnectionInfo) => boolean;
  const onClose: (info: ConnectionInfo, error: QrpcError | null) => void;
  const limits: Partial<BindingOptions>;
  const logger: Logger;
  const codec: Codec;
  const connectTimeoutMs: number, maxFrameSize: number, readTimeoutMs: number, writeTimeoutMs: number, keepAliveMs: number;
  const onConnect: (conn: Connection) => void;
  const onDisconnect: (conn: Connection, error: QrpcError | null) => void;
  const cmd: number, flags: number, reason: number, timeoutMs: number;
  const payload: Buffer, first: Buffer;
  const signal: AbortSignal;
  // The metrics section's OpenTelemetry example: the part of an @opentelemetry/api Meter it uses.
  const meter: {
    createCounter(name: string, options?: { unit?: string }): { add(n: number, attributes?: Record<string, string | number>): void };
    createUpDownCounter(name: string): { add(n: number): void };
    createHistogram(name: string, options?: { unit?: string }): { record(v: number, attributes?: Record<string, string | number>): void };
  };
}
export {};
`;

const EXPORTS = Object.keys(api);

/** A snippet as a module: the library names it uses are imported unless it imports them itself. */
function asModule(code) {
  if (/^import .* from 'qrpc-node(?:\/browser)?';/m.test(code)) return code;
  const declared = new Set([...code.matchAll(/\b(?:const|let|var|function|class)\s+([A-Za-z_$][\w$]*)/g)].map((m) => m[1]));
  const used = EXPORTS.filter((name) => !declared.has(name) && new RegExp(`\\b${name}\\b`).test(code));
  return `${used.length ? `import { ${used.join(', ')} } from 'qrpc-node';\n` : ''}${code}\nexport {};\n`;
}

test('every README js/ts snippet type-checks with tsc --strict', () => {
  const blocks = snippets();
  assert.ok(blocks.length >= 4, `found ${blocks.length} snippets`);
  const dir = mkdtempSync(join(tmpdir(), 'qrpc-readme-'));
  try {
    writeFileSync(join(dir, 'prelude.d.ts'), PRELUDE);
    const files = ['prelude.d.ts'];
    blocks.forEach((code, i) => {
      writeFileSync(join(dir, `snippet-${i + 1}.ts`), asModule(code));
      files.push(`snippet-${i + 1}.ts`);
    });
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          module: 'ES2022',
          moduleResolution: 'bundler',
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
          paths: {
            'qrpc-node': [join(root, 'dist', 'index.d.ts')],
            // The metrics section: the adapter entry and its optional peer.
            'qrpc-node/prometheus': [join(root, 'dist', 'metrics', 'prometheus.d.ts')],
            'qrpc-node/browser': [join(root, 'dist', 'browser', 'types', 'index.d.ts')],
            'prom-client': [join(root, 'node_modules', 'prom-client', 'index.d.ts')],
          },
        },
        files,
      }),
    );
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
    assert.is(tsc.status, 0, `tsc --strict reported:\n${tsc.stdout}${tsc.stderr}\n(snippets in ${dir})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
