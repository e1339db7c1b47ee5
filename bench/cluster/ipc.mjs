// The parent ↔ child protocol of the cluster benchmark: one JSON message per op, answered once.
export const now = () => process.hrtime.bigint().toString(); // CLOCK_MONOTONIC: comparable across processes

/** Serves ops in a child process: handlers[op](msg) → reply fields (awaited). */
export function serveOps(handlers) {
  process.on('message', async (msg) => {
    try {
      const reply = await handlers[msg.op](msg);
      process.send({ ref: msg.ref, ok: true, ...reply });
    } catch (err) {
      process.send({ ref: msg.ref, ok: false, error: String(err?.stack ?? err) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

/** Payload of push `seq`: "seq|" padded to 64 bytes, so every contender carries the same bytes. */
export function payloadOf(seq) {
  return `${seq}|`.padEnd(64, 'x');
}

export function seqOf(text) {
  return Number(text.slice(0, text.indexOf('|')));
}
