/** The subset of pino's interface the library calls; pass a pino logger directly. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};

/** Says nothing: pass it as `logger` to silence the library entirely. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/**
 * The default: failures a developer must see (a handler that threw, a
 * callback that failed) go to stderr at error level; everything else is
 * silent. Any pino-compatible `logger` replaces it; `silentLogger` silences it.
 */
export const stderrLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error(obj: object, msg?: string): void {
    const { err, ...rest } = obj as { err?: unknown };
    const detail = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}` : '';
    process.stderr.write(`qrpc error: ${msg ?? ''}${detail}\n${err instanceof Error ? `${err.stack ?? err.message}\n` : err !== undefined ? `${String(err)}\n` : ''}`);
  },
};
