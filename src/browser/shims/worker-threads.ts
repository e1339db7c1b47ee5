/**
 * node:worker_threads for the browser build. The parser marks payload memory
 * untransferable so a Node user's postMessage cannot detach bytes the library
 * still reads; a page has no such call, and its structured clone copies
 * unless a transfer list is given, which is the user's explicit choice.
 */
export function markAsUntransferable(_value: unknown): void {}
