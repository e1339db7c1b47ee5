import type { Transport } from '../types.js';

/** Placeholder until the addon lands: reports why the native backend is unavailable. */
export function loadNativeTransport(): { transport: Transport | null; error: string } {
  return { transport: null, error: 'native backend not built yet' };
}
