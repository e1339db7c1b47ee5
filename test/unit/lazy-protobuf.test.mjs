// protobufjs is loaded on the first typed-service envelope, not when qrpc-node is imported.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';

const probe = (build, body) =>
  execFileSync(process.execPath, ['-e', `
    const loaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/protobufjs/'));
    (async () => {
      ${build === 'esm' ? "const q = await import('./dist/index.js');" : "const q = require('./dist/cjs/index.js');"}
      const before = loaded();
      ${body}
      console.log(JSON.stringify({ before, after: loaded() }));
    })();`], { cwd: new URL('../../', import.meta.url), encoding: 'utf8' });

for (const build of ['esm', 'cjs']) {
  test(`${build}: importing the package does not load protobufjs; the first envelope does`, () => {
    const { before, after } = JSON.parse(probe(build, ""));
    assert.is(before, false);
    assert.is(after, false);
    const used = JSON.parse(probe(build, "q.encodeRpcRequest({ NS: 'a', method: 'b', params: Buffer.from('c') });"));
    assert.is(used.before, false);
    assert.is(used.after, true);
  });
}

test.run();
