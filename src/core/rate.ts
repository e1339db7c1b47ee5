/** Counts events in the current one-second window (frames per second limits). */
export class PerSecondCounter {
  private windowStart = 0;
  private count = 0;

  /** Adds n events; returns the count in the current window. */
  add(n: number, now: number): number {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count += n;
    return this.count;
  }
}

/**
 * Runs tasks at most `perSecond` times per second, queueing the rest in order
 * (Go's MaxCloseRate: mass kicks do not close thousands of sockets at once).
 */
export class RateLimitedRunner {
  private readonly perSecond: number;
  private readonly queue: Array<() => void> = [];
  private readonly counter = new PerSecondCounter();
  private timer: NodeJS.Timeout | null = null;

  constructor(perSecond: number) {
    this.perSecond = perSecond;
  }

  run(task: () => void): void {
    if (this.perSecond <= 0 || (this.queue.length === 0 && this.counter.add(1, Date.now()) <= this.perSecond)) {
      task();
      return;
    }
    this.queue.push(task);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = Date.now();
      while (this.queue.length > 0 && this.counter.add(1, now) <= this.perSecond) this.queue.shift()!();
      if (this.queue.length > 0) this.schedule();
    }, 1000 / this.perSecond);
    this.timer.unref();
  }

  /** Runs everything still queued now (shutdown). */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const task of this.queue.splice(0)) task();
  }
}
