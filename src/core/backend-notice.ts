import { backend } from '../transport/select.js';
import type { Transport } from '../transport/types.js';
import { stderrLogger, type Logger } from './logger.js';

let announced = false;

const MESSAGE = 'qrpc: native addon not loaded; using the pure-TypeScript backend';

/**
 * Says once per thread, at warn level, why the first server or connection
 * on the fallback is not on the native addon: npm hides the install
 * script's own message for dependencies. Forcing the fallback
 * (QRPC_BACKEND=fallback) is a choice, not news, and says nothing.
 */
export function announceFallback(transport: Transport, logger: Logger): void {
  if (announced || transport.name !== 'fallback') return;
  announced = true;
  const { loadError, forced } = backend();
  if (forced) return;
  logger.warn({ loadError }, MESSAGE);
  // The default logger keeps warn silent, yet this one the user must see.
  if (logger === stderrLogger) process.stderr.write(`qrpc warning: ${MESSAGE}: ${loadError}\n`);
}
