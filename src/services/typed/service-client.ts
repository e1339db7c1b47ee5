import { QrpcError } from '../../protocol/errors.js';
import { assertCmd } from '../../protocol/cmd.js';
import type { Frame, PayloadInput } from '../../protocol/frame.js';
import type { WaitOptions } from '../../core/call.js';
import { jsonMarshaller, marshalOrThrow, unmarshalOrThrow } from '../marshal.js';
import { encodeRpcRequest } from './envelope.js';
import { DEFAULT_RPC_CMD, DEFAULT_RPC_ERR_CMD, type RpcCmds } from './rpc-cmds.js';
import type { Service, MethodMarshallers } from './define-service.js';

/** What the client needs of a connection: its call() (a Connection, a ConnectionInfo, or a multi-endpoint Api). */
export interface Caller {
  call(cmd: number, payload?: PayloadInput, options?: WaitOptions): Promise<Frame>;
}

/** The typed proxy of a service: every method takes its input (and call options) and resolves with its output. */
export type ServiceClient<S> = S extends Service<string, infer M> ? { readonly [K in keyof M]: ClientMethod<M[K]> } : never;

/** A method without input (or whose input may be undefined) is called without one. */
type ClientMethod<F> = F extends (...args: infer A) => infer R
  ? A extends []
    ? (input?: undefined, options?: WaitOptions) => Promise<Awaited<R>>
    : undefined extends A[0]
      ? (input?: A[0], options?: WaitOptions) => Promise<Awaited<R>>
      : (input: A[0], options?: WaitOptions) => Promise<Awaited<R>>
  : never;

export interface ServiceClientOptions extends RpcCmds {
  /** Per-method marshalling, matching the server's (JSON otherwise). */
  marshallers?: Record<string, MethodMarshallers>;
}

const CLOSED_UNDER_CALL = new Set(['ERR_CONN_CLOSED', 'ERR_NOT_CONNECTED']);

/**
 * Callers whose last answer was an error answer. Go's service handler closes
 * the connection right after one, so a call sent behind it meets a closing
 * socket that will not serve it: that call is retried once (on a reconnecting
 * connection; `whileDisconnected: 'wait'` lets it wait for the new socket).
 */
const answeredWithError = new WeakSet<Caller>();

/**
 * A typed proxy for the service `ns` (no generator: the types come from the
 * service's definition, `serviceClient<typeof calc>(conn, 'calc')`). A call
 * sends the Go codegen envelope on the rpc cmd; an error answer fails it
 * with ERR_REMOTE and the remote message; `signal` / `timeoutMs` work as for
 * call() (giving up resets the request).
 */
export function serviceClient<S extends Service<string, any>>(caller: Caller, ns: S['ns'], options: ServiceClientOptions = {}): ServiceClient<S> {
  if (caller === null || typeof caller !== 'object' || typeof caller.call !== 'function') {
    throw new QrpcError('ERR_INVALID_ARG', 'serviceClient(caller, ns) needs a connection (anything with call(cmd, payload, options))');
  }
  if (typeof ns !== 'string') throw new QrpcError('ERR_INVALID_ARG', `a service namespace is a string, got ${typeof ns}`);
  const rpcCmd = options.rpcCmd ?? DEFAULT_RPC_CMD;
  const errCmd = options.errCmd ?? DEFAULT_RPC_ERR_CMD;
  assertCmd(rpcCmd);
  assertCmd(errCmd);
  const marshallers = options.marshallers ?? {};
  const methods = new Map<string, (input: unknown, o?: WaitOptions) => Promise<unknown>>();

  const invoke = async (method: string, input: unknown, callOptions: WaitOptions | undefined): Promise<unknown> => {
    const m = Object.hasOwn(marshallers, method) ? marshallers[method]! : {};
    // A method called without input sends JSON null, which Go unmarshals into its zero value.
    const params = marshalOrThrow(m.input ?? jsonMarshaller, input === undefined ? null : input, `the input of ${ns}:${method}`);
    const envelope = encodeRpcRequest({ NS: ns, method, params });
    let frame: Frame;
    try {
      frame = await caller.call(rpcCmd, envelope, callOptions);
    } catch (err) {
      if (!(err instanceof QrpcError && CLOSED_UNDER_CALL.has(err.code) && answeredWithError.has(caller))) throw err;
      answeredWithError.delete(caller);
      frame = await caller.call(rpcCmd, envelope, callOptions);
    }
    if (frame.cmd === errCmd) {
      answeredWithError.add(caller);
      throw new QrpcError('ERR_REMOTE', frame.payload.toString('utf8'));
    }
    answeredWithError.delete(caller);
    return unmarshalOrThrow(m.output ?? jsonMarshaller, frame.payload, `the result of ${ns}:${method}`);
  };

  return new Proxy(Object.create(null), {
    get(_target, name) {
      // Not a method: symbols, and `then` (so that awaiting the proxy does not call the service).
      if (typeof name !== 'string' || name === 'then') return undefined;
      let fn = methods.get(name);
      if (fn === undefined) {
        fn = (input: unknown, o?: WaitOptions) => invoke(name, input, o);
        methods.set(name, fn);
      }
      return fn;
    },
  }) as ServiceClient<S>;
}
