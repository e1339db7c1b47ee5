import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { QrpcError } from '../protocol/errors.js';
import { Flags } from '../protocol/flags.js';
import type { TlsClientOptions } from '../transport/types.js';
import { parseInteger, parseTarget, type Target } from './target.js';

export interface CliOptions {
  target: Target;
  payload: string | undefined;
  flags: number;
  ws: boolean;
  tls: TlsClientOptions | undefined;
  stream: boolean;
  listenPushes: boolean;
  timeoutMs: number | undefined;
  json: boolean;
}

const SPEC = {
  flag: { type: 'string', short: 'f' },
  nb: { type: 'boolean' },
  ws: { type: 'boolean', short: 'w' },
  web: { type: 'boolean' },
  tls: { type: 'boolean' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  servername: { type: 'string' },
  stream: { type: 'boolean' },
  'listen-pushes': { type: 'boolean' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function readPem(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new QrpcError('ERR_INVALID_ARG', `${option}: cannot read ${path}: ${(err as Error).message}`);
  }
}

function tlsOptions(values: { tls?: boolean; 'tls-ca'?: string; 'tls-cert'?: string; 'tls-key'?: string; servername?: string }): TlsClientOptions | undefined {
  const { tls, 'tls-ca': ca, 'tls-cert': cert, 'tls-key': key, servername } = values;
  if (!tls && ca === undefined && cert === undefined && key === undefined && servername === undefined) return undefined;
  if ((cert === undefined) !== (key === undefined)) throw new QrpcError('ERR_INVALID_ARG', '--tls-cert and --tls-key go together');
  const out: TlsClientOptions = {};
  if (ca !== undefined) out.ca = readPem(ca, '--tls-ca');
  if (cert !== undefined) out.cert = readPem(cert, '--tls-cert');
  if (key !== undefined) out.key = readPem(key, '--tls-key');
  if (servername !== undefined) out.servername = servername;
  return out;
}

function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(seconds > 0)) throw new QrpcError('ERR_INVALID_ARG', `--timeout must be a positive number of seconds, got "${text}"`);
  return Math.ceil(seconds * 1000);
}

/** The command line as options; null for --help. Throws ERR_INVALID_ARG (exit status 1) for bad usage. */
export function parseCommandLine(argv: string[]): CliOptions | null {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: SPEC, allowPositionals: true, strict: true });
  } catch (err) {
    throw new QrpcError('ERR_INVALID_ARG', (err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return null;
  if (positionals.length < 1 || positionals.length > 2) throw new QrpcError('ERR_INVALID_ARG', `expected ADDRESS/CMD [PAYLOAD], got ${positionals.length} arguments`);
  const listenPushes = values['listen-pushes'] ?? false;
  const target = parseTarget(positionals[0], listenPushes);
  const stream = values.stream ?? false;
  if (target.cmd === null && stream) throw new QrpcError('ERR_INVALID_ARG', '--stream needs a cmd');
  let flags = values.flag === undefined ? 0 : parseInteger(values.flag, '--flag', 0xff);
  if (values.nb) flags |= Flags.NB;
  if (stream && flags & (Flags.Push | Flags.StreamRst)) throw new QrpcError('ERR_INVALID_ARG', '--stream cannot carry the Push or StreamRst flag');
  return {
    target,
    payload: positionals[1],
    flags,
    ws: Boolean(values.ws || values.web),
    tls: tlsOptions(values),
    stream,
    listenPushes,
    timeoutMs: parseTimeout(values.timeout),
    json: values.json ?? false,
  };
}
