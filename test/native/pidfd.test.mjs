// addon.dupFromProcess(pid, fd): a duplicate of a child's fd (pidfd_open +
// pidfd_getfd). Bad arguments are refused with -errno before any syscall;
// a pid or fd the kernel refuses gives its -errno; never a throw or abort.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import { nativeOrSkip } from './_native.mjs';

const native = nativeOrSkip('pidfd');
const { errno } = os.constants;

/** A child whose fd 0 is this test file, opened read-only; stop() kills it and waits for its exit. */
function childWithFile() {
  const file = fs.openSync(new URL(import.meta.url), 'r');
  const child = spawn('sleep', ['60'], { stdio: [file, 'ignore', 'ignore'] });
  fs.closeSync(file);
  return {
    pid: child.pid,
    async stop() {
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    },
  };
}

if (native) {
  const { addon } = native;

  test('bad pid: -EINVAL; bad fd: -EBADF (nothing tried)', () => {
    for (const pid of [0, -1, 1.5, NaN, 2 ** 31, '1', undefined]) assert.is(addon.dupFromProcess(pid, 0), -errno.EINVAL, String(pid));
    for (const fd of [-1, 0.5, NaN, 2 ** 31, '0', undefined]) assert.is(addon.dupFromProcess(process.pid, fd), -errno.EBADF, String(fd));
  });

  test("a child's fd: a duplicate of the same open file, close-on-exec", async () => {
    const child = childWithFile();
    try {
      const fd = addon.dupFromProcess(child.pid, 0);
      assert.ok(fd > 2, `got ${fd}`);
      assert.is(fs.fstatSync(fd).ino, fs.statSync(new URL(import.meta.url)).ino);
      const flags = parseInt(/^flags:\s+(\d+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))[1], 8);
      assert.ok(flags & 0o2000000, 'O_CLOEXEC set');
      fs.closeSync(fd);
    } finally {
      await child.stop();
    }
  });

  test('an fd the child does not have: -EBADF; a reaped child: -ESRCH', async () => {
    const child = childWithFile();
    assert.is(addon.dupFromProcess(child.pid, 1000), -errno.EBADF);
    await child.stop();
    // The pid could be reused by now in theory; then the fd is what decides (still no throw).
    assert.ok([-errno.ESRCH, -errno.EBADF].includes(addon.dupFromProcess(child.pid, 1000)));
  });

  test('no fd is left behind by failures (the pidfd is closed on every path)', async () => {
    const child = childWithFile();
    try {
      const before = fs.readdirSync('/proc/self/fd').length;
      for (let i = 0; i < 50; i++) addon.dupFromProcess(child.pid, 1000);
      assert.is(fs.readdirSync('/proc/self/fd').length, before);
    } finally {
      await child.stop();
    }
  });
}

test.run();
