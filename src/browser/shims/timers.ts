/**
 * Node's timer globals for the browser build (esbuild injects this module in
 * place of the globals): the core calls .unref() and .refresh() on its
 * timers, which a browser's numeric timer ids do not have.
 */
type Callback = (...args: unknown[]) => void;

class BrowserTimer {
  private id: number;
  private readonly run: () => void;
  private readonly ms: number;
  private readonly repeat: boolean;

  constructor(fn: Callback, ms: number, args: unknown[], repeat: boolean) {
    this.run = () => fn(...args);
    this.ms = ms;
    this.repeat = repeat;
    this.id = this.arm();
  }

  private arm(): number {
    return this.repeat ? globalThis.setInterval(this.run, this.ms) as unknown as number : globalThis.setTimeout(this.run, this.ms) as unknown as number;
  }

  /** A page has no event loop to keep alive: ref/unref change nothing. */
  unref(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  hasRef(): boolean {
    return true;
  }

  /** Restarts the countdown, as Node's timeout.refresh(). */
  refresh(): this {
    this.cancel();
    this.id = this.arm();
    return this;
  }

  cancel(): void {
    if (this.repeat) globalThis.clearInterval(this.id);
    else globalThis.clearTimeout(this.id);
  }
}

function clear(timer: unknown): void {
  if (timer instanceof BrowserTimer) timer.cancel();
  else if (typeof timer === 'number') globalThis.clearTimeout(timer);
}

const shimSetTimeout = (fn: Callback, ms = 0, ...args: unknown[]): BrowserTimer => new BrowserTimer(fn, ms, args, false);
const shimSetInterval = (fn: Callback, ms = 0, ...args: unknown[]): BrowserTimer => new BrowserTimer(fn, ms, args, true);

export { shimSetTimeout as setTimeout, shimSetInterval as setInterval, clear as clearTimeout, clear as clearInterval };
