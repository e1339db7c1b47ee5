/**
 * The part of the browser's WebSocket this build uses, declared here because
 * the project compiles against Node's types (no DOM lib).
 */
export interface BrowserWebSocket {
  binaryType: 'blob' | 'arraybuffer';
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null;
  onmessage: ((event: { data: ArrayBuffer | string }) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type BrowserWebSocketConstructor = new (url: string, protocols?: string | string[]) => BrowserWebSocket;

export const OPEN = 1;

/** The page's WebSocket (or a compatible one on globalThis), or null where there is none. */
export function webSocketConstructor(): BrowserWebSocketConstructor | null {
  const ctor = (globalThis as { WebSocket?: BrowserWebSocketConstructor }).WebSocket;
  return typeof ctor === 'function' ? ctor : null;
}

/**
 * Close codes a page may send are 1000 and 3000-4999 (anything else throws).
 * Protocol errors go out as 4000 + the RFC 6455 code the Node overlay would
 * send (4002 bad frame, 4003 text message, 4009 too big).
 */
export const CLOSE_NORMAL = 1000;
export const CLOSE_APP_PROTOCOL_ERROR = 4002;
export const CLOSE_APP_UNSUPPORTED_DATA = 4003;
export const CLOSE_APP_TOO_BIG = 4009;

const MAX_CLOSE_REASON_BYTES = 123;
const encoder = new TextEncoder();

/** A close reason the WebSocket accepts (at most 123 UTF-8 bytes; a longer one throws). */
export function closeReason(text: string): string {
  let out = text;
  while (encoder.encode(out).length > MAX_CLOSE_REASON_BYTES) out = out.slice(0, -1);
  return out;
}
