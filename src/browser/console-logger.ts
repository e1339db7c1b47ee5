import type { Logger } from '../core/logger.js';

const noop = (): void => {};

/** The browser build's default: what a developer must see (a handler that threw) goes to console.error. */
export const consoleLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: (obj: object, msg?: string) => console.error(`qrpc error: ${msg ?? ''}`, obj),
};
