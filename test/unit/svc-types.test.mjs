// serviceClient<typeof svc> is typed from the service's definition alone (no
// generator): tsc --strict accepts the right uses and rejects, at each
// @ts-expect-error, a wrong input, a wrong use of the output and an unknown
// method. If inference broke (e.g. methods typed any), an @ts-expect-error
// would be unused and tsc would fail.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const SOURCE = `
import { defineService, serviceClient, pipe, type Connection, type ServiceContext, type ConnectionInfo } from 'qrpc-node';

const calc = defineService('calc', {
  add: async ({ a, b }: { a: number; b: number }) => ({ sum: a + b }),
  echo: (x: string) => x,
  who: (_input: null, ctx: ServiceContext<ConnectionInfo>) => ctx.connection.id,
  ping: () => 'pong' as const,
});

declare const conn: Connection;
const client = serviceClient<typeof calc>(conn, 'calc');

async function uses(): Promise<void> {
  const r: { sum: number } = await client.add({ a: 1, b: 2 });
  const s: string = await client.echo('x', { timeoutMs: 100, signal: AbortSignal.timeout(5) });
  const id: string | null = await client.who(null);
  const p: 'pong' = await client.ping();
  // @ts-expect-error an input is required
  await client.add();
  // @ts-expect-error b must be a number
  await client.add({ a: 1, b: '2' });
  // @ts-expect-error the result is { sum }, not a string
  const wrong: string = await client.add({ a: 1, b: 2 });
  // @ts-expect-error no such method on the service
  await client.sub({ a: 1, b: 2 });
  // @ts-expect-error the namespace must be the service's
  serviceClient<typeof calc>(conn, 'other');
  const { sender, receiver } = pipe<{ n: number }>(conn, 12);
  await sender.send(12, { n: 1 }, { end: true });
  // @ts-expect-error the pipe carries { n: number }
  await sender.send(12, 'text');
  for await (const m of receiver) {
    const n: number = m.message.n;
    const c: number = m.cmd;
    void n, c;
  }
  void r, s, id, wrong, p;
}
void uses;
export {};
`;

test('serviceClient<typeof svc> and pipe<T> are typed by inference (tsc --strict)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qrpc-svc-types-'));
  try {
    writeFileSync(join(dir, 'uses.ts'), SOURCE);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, target: 'ES2022', module: 'ES2022', moduleResolution: 'bundler', skipLibCheck: true,
        types: ['node'], typeRoots: [join(root, 'node_modules', '@types')],
        paths: { 'qrpc-node': [join(root, 'dist', 'index.d.ts')] },
      },
      files: ['uses.ts'],
    }));
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
    assert.is(tsc.status, 0, `tsc --strict reported:\n${tsc.stdout}${tsc.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
