import { constants } from 'node:os';
import { loadNativeAddon } from './load.js';

/**
 * A duplicate, in this process, of fd `fd` of process `pid` (the addon's
 * pidfd_open + pidfd_getfd; close-on-exec), or why not: { error } with the
 * errno's name (ENOSYS, EPERM, ESRCH, EBADF, ...) or that the addon is not
 * loaded. For serveWorkers' primary, which keeps its workers' listening sockets.
 */
export function dupFromProcess(pid: number, fd: number): { fd: number } | { error: string } {
  const { addon, error } = loadNativeAddon();
  if (addon === null) return { error: `native addon not loaded (${error})` };
  const r = addon.dupFromProcess(pid, fd);
  if (r >= 0) return { fd: r };
  const name = Object.entries(constants.errno).find(([, v]) => v === -r)?.[0] ?? `errno ${-r}`;
  return { error: `pidfd_getfd: ${name}` };
}
