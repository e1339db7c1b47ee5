import type { Transport } from '../types.js';
import type { NativeAddon } from './binding.js';
import { NativeLoop } from './loop.js';

/** The native backend for this thread (each worker thread loads the addon and gets its own epoll set). */
export function createNativeTransport(addon: NativeAddon): Transport & { readonly loop: NativeLoop } {
  const loop = new NativeLoop(addon);
  return {
    name: 'native',
    loop,
    listen: (options, onConnection) => loop.listen(options, onConnection),
    connect: (options) => loop.connect(options),
    broadcast: (conns, bytes) => loop.broadcast(conns, bytes),
  };
}
