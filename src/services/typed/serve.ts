import { QrpcError } from '../../protocol/errors.js';
import { assertCmd } from '../../protocol/cmd.js';
import type { ServeMux } from '../../core/mux.js';
import type { FrameWriter } from '../../core/writer.js';
import type { RequestFrame } from '../../core/request.js';
import { jsonMarshaller, marshalOrThrow, unmarshalOrThrow } from '../marshal.js';
import { decodeRpcRequest } from './envelope.js';
import { DEFAULT_RPC_CMD, DEFAULT_RPC_ERR_CMD, type RpcCmds } from './rpc-cmds.js';
import type { Service, ServiceMethod, MethodMarshallers } from './define-service.js';

/** Go's reply when `ns:method` is not registered (codegen/service_handler.go). */
export const NO_SUCH_SERVICE = 'no such service';

interface Route {
  method: ServiceMethod;
  marshallers: MethodMarshallers;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Serves `services` on `mux` at the rpc cmd, as Go's generated ServiceMux:
 * the envelope names `ns:method`, the result goes back on the rpc cmd and a
 * failure as the error cmd with the message as payload. Unlike Go's handler
 * the connection stays open after an error answer.
 */
export function registerServices<C>(mux: ServeMux<C>, services: readonly Service<string, any>[], cmds: RpcCmds = {}): ServeMux<C> {
  const rpcCmd = cmds.rpcCmd ?? DEFAULT_RPC_CMD;
  const errCmd = cmds.errCmd ?? DEFAULT_RPC_ERR_CMD;
  assertCmd(rpcCmd);
  assertCmd(errCmd);
  if (!Array.isArray(services)) throw new QrpcError('ERR_INVALID_ARG', 'registerServices(mux, services) needs an array of defineService() results');
  const routes = new Map<string, Route>();
  const namespaces = new Set<string>();
  for (const svc of services) {
    if (svc === null || typeof svc !== 'object' || typeof svc.ns !== 'string' || svc.methods === null || typeof svc.methods !== 'object') {
      throw new QrpcError('ERR_INVALID_ARG', 'registerServices(mux, services): every service comes from defineService()');
    }
    if (namespaces.has(svc.ns)) throw new QrpcError('ERR_DUPLICATE_HANDLER', `service "${svc.ns}" is registered twice`);
    namespaces.add(svc.ns);
    for (const [name, method] of Object.entries(svc.methods as Record<string, ServiceMethod>)) {
      routes.set(`${svc.ns}:${name}`, { method, marshallers: (svc.marshallers as Record<string, MethodMarshallers>)[name] ?? {} });
    }
  }
  return mux.handle(rpcCmd, (w, req) => serveCall(w, req, routes, errCmd));
}

async function serveCall<C>(w: FrameWriter, req: RequestFrame<C>, routes: Map<string, Route>, errCmd: number): Promise<void> {
  let answerCmd = req.cmd;
  let answer: Buffer;
  try {
    const envelope = decodeRpcRequest(req.payload);
    const route = routes.get(`${envelope.NS}:${envelope.method}`);
    if (route === undefined) throw new Error(NO_SUCH_SERVICE);
    const input = unmarshalOrThrow(route.marshallers.input ?? jsonMarshaller, envelope.params, `the params of ${envelope.NS}:${envelope.method}`);
    const output = await route.method(input, { signal: req.signal, connection: req.connection, request: req });
    answer = marshalOrThrow(route.marshallers.output ?? jsonMarshaller, output === undefined ? null : output, `the result of ${envelope.NS}:${envelope.method}`);
  } catch (err) {
    answerCmd = errCmd;
    answer = Buffer.from(messageOf(err), 'utf8');
  }
  try {
    await w.reply(req.requestId, answerCmd, answer);
  } catch (err) {
    // The caller gave up (its reset) or went away: there is nobody to answer, which is not the method's failure.
    if (req.signal.aborted) return;
    throw err;
  }
}
