/** Go's codegen defaults: every service behind one rpc cmd, errors answered with the error cmd. */
export const DEFAULT_RPC_CMD = 10000;
export const DEFAULT_RPC_ERR_CMD = 10001;

export interface RpcCmds {
  /** The cmd the calls are sent on (default 10000). */
  rpcCmd?: number;
  /** The cmd of error answers, whose payload is the error's message (default 10001). */
  errCmd?: number;
}
