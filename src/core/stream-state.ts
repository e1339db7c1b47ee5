/**
 * The state of one request ID's stream, from either end: two halves, each
 * closed by its done frame or by a reset. Every change of state goes through
 * step(), so the rules live in one place (protocol spec §6):
 * - a frame on a self-closed half is refused (write after close);
 * - a done frame closes its sender's half;
 * - a reset, from either side, or the connection closing closes both.
 * The ID's record is released once both halves are closed.
 */
export const SELF_CLOSED = 1;
export const PEER_CLOSED = 2;
/** Both halves were closed by a reset or by the connection closing, not by done frames. */
export const ABORTED = 4;
export const BOTH_CLOSED = SELF_CLOSED | PEER_CLOSED;

/** We send a frame that leaves our half open / that closes it (non-stream frame or StreamEnd). */
export const SEND = 0;
export const SEND_DONE = 1;
/** The peer's frame that leaves its half open / that closes it. */
export const RECEIVE = 2;
export const RECEIVE_DONE = 3;
/** A reset sent or received, the connection closing, the caller giving up. */
export const RESET = 4;

/** The next state, or -1 when the event is not allowed (a frame on a half that is already closed). */
export function step(state: number, event: number): number {
  switch (event) {
    case SEND:
      return state & SELF_CLOSED ? -1 : state;
    case SEND_DONE:
      return state & SELF_CLOSED ? -1 : state | SELF_CLOSED;
    case RECEIVE:
      return state & PEER_CLOSED ? -1 : state;
    case RECEIVE_DONE:
      return state & PEER_CLOSED ? -1 : state | PEER_CLOSED;
    default:
      return BOTH_CLOSED | ABORTED;
  }
}

export function isReleased(state: number): boolean {
  return (state & BOTH_CLOSED) === BOTH_CLOSED;
}
