import { performance } from 'node:perf_hooks';

/**
 * The clock of the metrics hooks, read at most once per synchronous stretch
 * (until the next microtask). A clock read costs about a tenth of a whole
 * pipelined call, so reading it per frame made metrics cost ~27 %. Within
 * one stretch the readings could only differ by the engine's own work:
 * frames of one read wake-up arrived together, and frames written in one
 * stretch leave in one flush (the transports flush on process.nextTick).
 */
let stamp = -1;

function expire(): void {
  stamp = -1;
}

/** performance.now() as of this stretch: the first call in a stretch reads the clock, later ones reuse it. */
export function stretchNow(): number {
  if (stamp < 0) {
    stamp = performance.now();
    queueMicrotask(expire);
  }
  return stamp;
}

/** A fresh performance.now(), which also becomes this stretch's value (the end of one handler starts the next). */
export function freshNow(): number {
  if (stamp < 0) queueMicrotask(expire);
  stamp = performance.now();
  return stamp;
}
