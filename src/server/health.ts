import { backend } from '../transport/select.js';
import type { TransportName } from '../transport/types.js';
import type { Binding } from './binding.js';

export type ServerState = 'idle' | 'listening' | 'shutting-down' | 'closed';

export interface BindingHealth {
  index: number;
  /** The bound address; null while not listening. */
  address: { host: string; port: number; family: string } | null;
  transport: TransportName;
  connections: number;
  /** Output bytes queued to this binding's connections and not yet taken by the kernel (or the WebSocket). */
  queuedBytes: number;
  throttled: boolean;
}

/** server.health(): what a readiness probe needs, cheap enough to serve on every probe. */
export interface ServerHealth {
  /** Listening and not shutting down. */
  ready: boolean;
  state: ServerState;
  /** The selected backend ('native' | 'fallback'); TLS and WebSocket bindings say theirs in `transport`. */
  backend: 'native' | 'fallback';
  bindings: BindingHealth[];
}

export function healthOf(state: ServerState, bindings: readonly Binding[]): ServerHealth {
  return {
    ready: state === 'listening',
    state,
    backend: backend().name,
    bindings: bindings.map((b) => b.health()),
  };
}
