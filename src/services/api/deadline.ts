import { abortedError } from '../../core/call.js';
import { QrpcError } from '../../protocol/errors.js';

/**
 * A caller's budget across the attempts of one Api call: `timeoutMs` is
 * measured from the start of the whole call (failovers included), and the
 * signal stops waits between attempts too.
 */
export class Budget {
  private readonly deadline: number;
  private readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;

  constructor(timeoutMs: number | undefined, signal: AbortSignal | undefined) {
    this.timeoutMs = timeoutMs ?? 0;
    this.deadline = timeoutMs ? Date.now() + timeoutMs : Infinity;
    this.signal = signal;
  }

  /** Throws ERR_ABORTED / ERR_TIMEOUT once the budget is spent; else the time left (undefined: no limit). */
  remaining(): number | undefined {
    if (this.signal?.aborted) throw abortedError(this.signal);
    if (this.deadline === Infinity) return undefined;
    const left = this.deadline - Date.now();
    if (left <= 0) throw this.timeoutError();
    return left;
  }

  /** `promise`, unless the budget runs out first. */
  async bound<T>(promise: Promise<T>): Promise<T> {
    const left = this.remaining();
    if (left === undefined && this.signal === undefined) return promise;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const limit = new Promise<never>((_, reject) => {
      if (left !== undefined) timer = setTimeout(() => reject(this.timeoutError()), left);
      if (this.signal !== undefined) {
        const signal = this.signal;
        onAbort = () => reject(abortedError(signal));
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    try {
      return await Promise.race([promise, limit]);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      if (onAbort !== undefined) this.signal!.removeEventListener('abort', onAbort);
    }
  }

  private timeoutError(): QrpcError {
    return new QrpcError('ERR_TIMEOUT', `no answer within ${this.timeoutMs} ms`);
  }
}
