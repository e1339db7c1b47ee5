import { QrpcError } from '../../protocol/errors.js';
import type { BrokerEnvelope } from './broker-messages.js';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | null;
}

/** Questions sent over one IPC channel, waiting for their reply by sequence number. */
export class PendingReplies {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();

  /** Sends via `send(seq)` and resolves with the reply's value; rejects with ERR_BROKER on an error reply, a failed send or timeoutMs (0: none). */
  ask<T>(send: (seq: number) => boolean, timeoutMs: number, what: string): Promise<T> {
    const seq = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => this.fail(seq, new QrpcError('ERR_BROKER', `${what}: no reply within ${timeoutMs} ms`)), timeoutMs) : null;
      this.pending.set(seq, { resolve: resolve as (v: unknown) => void, reject, timer });
      let sent = false;
      try {
        sent = send(seq);
      } catch {
        sent = false;
      }
      if (!sent) this.fail(seq, new QrpcError('ERR_BROKER', `${what}: the IPC channel is closed`));
    });
  }

  /** A reply arrived. */
  settle(m: Extract<BrokerEnvelope, { qrpc: 'broker-reply' }>): void {
    const p = this.take(m.seq);
    if (p === undefined) return;
    if (m.ok) p.resolve(m.value);
    else p.reject(new QrpcError('ERR_BROKER', m.message));
  }

  /** The other side is gone: every open question fails. */
  failAll(error: Error): void {
    for (const seq of [...this.pending.keys()]) this.fail(seq, error);
  }

  private fail(seq: number, error: Error): void {
    this.take(seq)?.reject(error);
  }

  private take(seq: number): Pending | undefined {
    const p = this.pending.get(seq);
    if (p === undefined) return undefined;
    this.pending.delete(seq);
    if (p.timer !== null) clearTimeout(p.timer);
    return p;
  }
}
