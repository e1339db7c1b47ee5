// addon.listenFd: serving a listening socket this process inherited. The fd
// is checked before it is taken (a bad one is refused with -errno and left
// open), and a listener's own fd cannot be taken twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { connectedSocket } from '../helpers.mjs';
import os from 'node:os';
import { nativeOrSkip, listen } from './_native.mjs';

const native = nativeOrSkip('listen-fd');
const { errno } = os.constants;
const nativeOpts = [10 << 20, 1 << 20, 0, 0, 3000, 20000, true, 0, 0];

if (native) {
  const { addon, transport } = native;

  test('not a number, negative, fractional: -EBADF', () => {
    for (const bad of ['4', -1, 1.5, NaN, 2 ** 31]) assert.is(addon.listenFd(bad, nativeOpts), -errno.EBADF, String(bad));
  });

  test('a file: -ENOTSOCK, the fd stays open', () => {
    const fd = fs.openSync(new URL(import.meta.url), 'r');
    assert.is(addon.listenFd(fd, nativeOpts), -errno.ENOTSOCK);
    assert.ok(fs.fstatSync(fd).isFile());
    fs.closeSync(fd);
  });

  test('a connected socket: -EINVAL (not listening)', async () => {
    const { socket, close } = await connectedSocket();
    assert.is(addon.listenFd(socket._handle.fd, nativeOpts), -errno.EINVAL);
    close();
  });

  test('the fd of one of our own listeners: -EEXIST', async () => {
    const listener = await listen(transport, {}, () => {});
    const fd = listener.fd();
    assert.ok(fd > 2);
    assert.is(addon.listenFd(fd, nativeOpts), -errno.EEXIST);
    await listener.close();
    assert.is(listener.fd(), null);
  });
  // Serving a good inherited fd: test/cluster/restart-*.test.mjs (a real successor process inherits it).
}

test.run();
