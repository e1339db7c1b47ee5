import { createInterface } from 'node:readline';
import type { Connection } from '../client/connection.js';
import { Flags } from '../protocol/flags.js';
import { toPayload, type Frame } from '../protocol/frame.js';
import type { CliOptions } from './args.js';
import type { FrameKind } from './output.js';

export type Printer = (kind: FrameKind, frame: Frame) => void;

/** Milliseconds left of --timeout (undefined: none). */
export type Remaining = () => number | undefined;

async function printAnswer(response: { frames(o: { timeoutMs?: number }): AsyncIterable<Frame> }, print: Printer, remaining: Remaining): Promise<void> {
  for await (const frame of response.frames({ timeoutMs: remaining() })) print('response', frame);
}

/** One request frame (a push when the flags say so), then every frame of the answer. */
export async function sendRequest(conn: Connection, o: CliOptions, cmd: number, print: Printer, remaining: Remaining): Promise<void> {
  const payload = toPayload(o.payload);
  if (o.flags & Flags.Push) {
    const requestId = await conn.push(cmd, payload, o.flags);
    print('request', { requestId, flags: Flags.Push | (o.flags & Flags.Codec), cmd, payload });
    return;
  }
  const { requestId, response } = conn.request(cmd, o.flags, payload);
  print('request', { requestId, flags: o.flags, cmd, payload });
  await printAnswer(response, print, remaining);
}

/**
 * A streamed request: PAYLOAD (if given) and then one frame per stdin line.
 * A line is sent once the next one (or EOF) is read, so the last line itself
 * carries StreamEnd. The answer is printed while the stream is written.
 */
export async function sendStream(conn: Connection, o: CliOptions, cmd: number, print: Printer, remaining: Remaining): Promise<void> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string | undefined> => {
    const r = await lines.next();
    return r.done ? undefined : r.value;
  };
  const base = o.flags & (Flags.NB | Flags.Codec);
  const first = o.payload ?? (await nextLine()) ?? '';
  const { requestId, writer, response } = conn.streamRequest(cmd, o.flags, first, { timeoutMs: remaining() });
  print('request', { requestId, flags: base | Flags.Stream, cmd, payload: toPayload(first) });
  const answer = printAnswer(response, print, () => undefined);
  answer.catch(() => {});
  try {
    let pending = await nextLine();
    while (pending !== undefined) {
      const line = await nextLine();
      if (line === undefined) break;
      await writer.write(pending);
      print('request', { requestId, flags: base | Flags.Stream, cmd, payload: toPayload(pending) });
      pending = line;
    }
    const last = pending ?? '';
    await writer.end(last);
    print('request', { requestId, flags: base | Flags.Stream | Flags.StreamEnd, cmd, payload: toPayload(last) });
  } catch (err) {
    // The answer's own failure (a reset, the timeout) says more than the write it broke.
    await answer;
    throw err;
  } finally {
    lines.return?.();
  }
  await answer;
}
