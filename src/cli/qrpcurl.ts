#!/usr/bin/env node
import { connect } from '../client/connect.js';
import type { Connection } from '../client/connection.js';
import type { ClientOptions } from '../client/options.js';
import { silentLogger } from '../core/logger.js';
import { QrpcError } from '../protocol/errors.js';
import { parseCommandLine, type CliOptions } from './args.js';
import { sendRequest, sendStream, type Printer, type Remaining } from './exchange.js';
import { ExitCode, exitCodeOf } from './exit-codes.js';
import { HELP, USAGE } from './help.js';
import { formatFrame } from './output.js';

function describe(err: unknown): string {
  if (!(err instanceof QrpcError)) return String((err as Error)?.message ?? err);
  const reason = err.reason !== undefined && !err.message.includes('reason') ? ` (reset reason ${err.reason})` : '';
  const cause = err.cause instanceof Error && !err.message.includes(err.cause.message) ? `: ${err.cause.message}` : '';
  return `${err.code}: ${err.message}${reason}${cause}`;
}

function fail(err: unknown): void {
  process.stderr.write(`qrpcurl: ${describe(err)}\n`);
}

/** --ws / --tls applied to the address: a ws:// URL with --tls becomes wss://; a plain host:port gets the options. */
function dialTarget(o: CliOptions): { address: string; options: ClientOptions } {
  const options: ClientOptions = { logger: silentLogger };
  let address = o.target.address;
  if (o.tls !== undefined) {
    if (/^ws:\/\//i.test(address)) address = `wss://${address.slice(5)}`;
    options.tls = o.tls;
  }
  if (o.ws && !/^wss?:\/\//i.test(address)) options.overlay = 'ws';
  return { address, options };
}

/** Prints pushes until Ctrl-C / SIGTERM or the listening window ends (0), or the server closes the connection (4). */
function listenForPushes(conn: Connection, windowMs: number | undefined): Promise<number> {
  return new Promise((resolve) => {
    const done = (code: number) => {
      process.off('SIGINT', stop).off('SIGTERM', stop);
      if (timer !== undefined) clearTimeout(timer);
      resolve(code);
    };
    const stop = () => done(ExitCode.Ok);
    process.on('SIGINT', stop).on('SIGTERM', stop);
    const timer = windowMs === undefined ? undefined : setTimeout(stop, windowMs);
    void conn.closed.then(() => {
      fail(conn.closeReason ?? new QrpcError('ERR_CONN_CLOSED', 'the server closed the connection'));
      done(ExitCode.Remote);
    });
  });
}

// A reader that went away (`| head`): stop quietly, as a write error (5), instead of an 'error' event stack trace.
process.stdout.on('error', () => process.exit(ExitCode.Failure));

async function main(argv: string[]): Promise<number> {
  let o: CliOptions | null;
  try {
    o = parseCommandLine(argv);
  } catch (err) {
    process.stderr.write(`qrpcurl: ${(err as Error).message}\n${USAGE}\n(qrpcurl --help for more)\n`);
    return ExitCode.Usage;
  }
  if (o === null) {
    process.stdout.write(HELP);
    return ExitCode.Ok;
  }
  const json = o.json;
  const print: Printer = (kind, frame) => process.stdout.write(formatFrame(kind, frame, json));
  const deadline = o.timeoutMs === undefined ? undefined : Date.now() + o.timeoutMs;
  const remaining: Remaining = () => (deadline === undefined ? undefined : Math.max(1, deadline - Date.now()));
  const { address, options } = dialTarget(o);
  // A push is handed over synchronously, an answer a few promise steps later: printing pushes on the next
  // turn keeps the wire's order when both arrive in one read.
  if (o.listenPushes) options.onPush = (frame) => setImmediate(print, 'push', frame);
  options.connectTimeoutMs = remaining() ?? 10_000;
  let conn: Connection;
  try {
    conn = await connect(address, options);
  } catch (err) {
    fail(err);
    return err instanceof QrpcError && err.code === 'ERR_INVALID_ARG' ? ExitCode.Usage : ExitCode.Connect;
  }
  try {
    const cmd = o.target.cmd;
    if (cmd !== null) await (o.stream ? sendStream : sendRequest)(conn, o, cmd, print, remaining);
    // The listening window is what is left of --timeout after the answer.
    return o.listenPushes ? await listenForPushes(conn, remaining()) : ExitCode.Ok;
  } catch (err) {
    fail(err);
    return err instanceof QrpcError ? exitCodeOf(err) : ExitCode.Failure;
  } finally {
    await conn.close();
  }
}

// Exit explicitly: a half-read stdin must not keep the process alive after the answer.
main(process.argv.slice(2)).then(
  (code) => process.stdout.write('', () => process.exit(code)),
  (err) => {
    fail(err);
    process.exit(ExitCode.Failure);
  },
);
