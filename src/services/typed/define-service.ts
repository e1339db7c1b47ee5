import { QrpcError } from '../../protocol/errors.js';
import type { RequestFrame } from '../../core/request.js';
import type { Marshaller } from '../marshal.js';

/** What a method gets besides its input. */
export interface ServiceContext<C = unknown> {
  /** Aborted when the caller gives up (its reset) or the connection closes (Go's ctx). */
  signal: AbortSignal;
  /** The connection the call arrived on (on a server: its ConnectionInfo). */
  connection: C;
  request: RequestFrame<C>;
}

export type ServiceMethod = (input: any, ctx: ServiceContext<any>) => unknown;

/** Per-method marshalling for types with their own (e.g. protobuf) encoding; JSON otherwise, as Go's codegen. */
export interface MethodMarshallers {
  input?: Marshaller<any>;
  output?: Marshaller<any>;
}

export interface ServiceOptions<M> {
  marshallers?: { [K in keyof M]?: MethodMarshallers };
}

/** A typed service: its namespace and its methods (input, ctx) => output. */
export interface Service<NS extends string = string, M extends Record<string, ServiceMethod> = Record<string, ServiceMethod>> {
  readonly ns: NS;
  readonly methods: M;
  readonly marshallers: { readonly [K in keyof M]?: MethodMarshallers };
}

/**
 * Defines a service whose methods are called as `ns:method` over the rpc cmd
 * (Go's codegen envelope); register it with registerServices(). `ns` is sent
 * as is: Go's generator CamelCases its sub-service names, and its main
 * service has ns "".
 */
export function defineService<const NS extends string, M extends Record<string, ServiceMethod>>(ns: NS, methods: M, options: ServiceOptions<M> = {}): Service<NS, M> {
  if (typeof ns !== 'string') throw new QrpcError('ERR_INVALID_ARG', `a service namespace is a string, got ${typeof ns}`);
  if (methods === null || typeof methods !== 'object') throw new QrpcError('ERR_INVALID_ARG', 'defineService(ns, methods) needs an object of methods');
  const names = Object.keys(methods);
  if (names.length === 0) throw new QrpcError('ERR_INVALID_ARG', `service "${ns}" has no methods`);
  for (const name of names) {
    if (typeof methods[name] !== 'function') throw new QrpcError('ERR_INVALID_ARG', `method "${ns}:${name}" is not a function`);
  }
  return Object.freeze({ ns, methods: Object.freeze({ ...methods }), marshallers: Object.freeze({ ...(options.marshallers ?? {}) }) });
}
