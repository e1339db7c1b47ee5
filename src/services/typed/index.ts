export { defineService, type Service, type ServiceContext, type ServiceMethod, type ServiceOptions, type MethodMarshallers } from './define-service.js';
export { registerServices, NO_SUCH_SERVICE } from './serve.js';
export { serviceClient, type ServiceClient, type ServiceClientOptions, type Caller } from './service-client.js';
export { encodeRpcRequest, decodeRpcRequest, type RpcRequestFields } from './envelope.js';
export { DEFAULT_RPC_CMD, DEFAULT_RPC_ERR_CMD, type RpcCmds } from './rpc-cmds.js';
