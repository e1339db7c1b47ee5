import type { Ack } from './messages.js';

/** What came back for one request: the acks, and whether every receiver answered in time. */
export interface AckOutcome {
  acks: Ack[];
  complete: boolean;
}

interface Wait {
  acks: Ack[];
  expected: number;
  settle(outcome: AckOutcome): void;
  timer: NodeJS.Timeout;
}

/**
 * Waits for acknowledgements. A wait is opened before the message goes out
 * (an ack can come back before PUBLISH reports how many nodes received it),
 * told how many to expect once PUBLISH answers, and settles when they are
 * all in, at the timeout, or when the broker connection drops: never hangs.
 */
export class AckTable {
  private readonly waits = new Map<number, Wait>();
  private seq = 0;

  constructor(private readonly timeoutMs: number) {}

  open(): { seq: number; expect(receivers: number): Promise<AckOutcome>; cancel(): void } {
    const seq = ++this.seq;
    let settle!: (outcome: AckOutcome) => void;
    const done = new Promise<AckOutcome>((resolve) => (settle = resolve));
    const wait: Wait = { acks: [], expected: Infinity, settle, timer: setTimeout(() => this.finish(seq, false), this.timeoutMs) };
    wait.timer.unref();
    this.waits.set(seq, wait);
    return {
      seq,
      expect: (receivers) => {
        wait.expected = receivers;
        if (wait.acks.length >= receivers) this.finish(seq, true);
        return done;
      },
      cancel: () => this.finish(seq, false),
    };
  }

  /** An ack for a wait that already settled (late, after a timeout) is dropped. */
  receive(ack: Ack): void {
    const wait = this.waits.get(ack.seq);
    if (wait === undefined) return;
    wait.acks.push(ack);
    if (wait.acks.length >= wait.expected) this.finish(ack.seq, true);
  }

  /** The connection that carries acks dropped: what is still open will not complete. */
  abandonAll(): void {
    for (const seq of [...this.waits.keys()]) this.finish(seq, false);
  }

  private finish(seq: number, complete: boolean): void {
    const wait = this.waits.get(seq);
    if (wait === undefined) return;
    this.waits.delete(seq);
    clearTimeout(wait.timer);
    wait.settle({ acks: wait.acks, complete });
  }
}
