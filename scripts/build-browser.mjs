// Bundles the browser client (src/browser/index.ts) into dist/browser/qrpc.js:
// ESM, minified, no node: imports. The core's Node built-ins are mapped to
// browser modules: node:buffer → the `buffer` package, node:worker_threads →
// a no-op markAsUntransferable, Node's timer globals → timers with unref/refresh.
// Any other node: import fails the build, so the bundle can never need Node.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const shims = join(root, 'src', 'browser', 'shims');
const MAPPED = { 'node:buffer': null, 'node:worker_threads': join(shims, 'worker-threads.ts') };

const nodeBuiltins = {
  name: 'node-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, async (args) => {
      if (!(args.path in MAPPED)) return { errors: [{ text: `${args.path} (imported by ${args.importer}) has no browser mapping: the browser build must not need it` }] };
      const target = MAPPED[args.path];
      if (target !== null) return { path: target };
      return b.resolve('buffer/', { kind: args.kind, resolveDir: root });
    });
  },
};

const result = await build({
  entryPoints: [join(root, 'src', 'browser', 'index.ts')],
  outfile: join(root, 'dist', 'browser', 'qrpc.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2020'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  inject: [join(shims, 'timers.ts')],
  plugins: [nodeBuiltins],
  metafile: true,
  logLevel: 'warning',
});
const out = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('qrpc.js'));
console.log(`browser build: dist/browser/qrpc.js ${out[1].bytes} bytes minified`);
