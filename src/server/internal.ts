/**
 * Symbols through which the server's modules and the cluster layer reach
 * each other's internals; symbol-keyed so they stay off the documented API.
 */

/** Server → its Binding by index (throws ERR_INVALID_ARG for an unknown one). */
export const kBindingAt = Symbol('qrpc.bindingAt');
/** Cluster: connect the broker (server.listen) / disconnect it (end of server.shutdown). */
export const kStart = Symbol('qrpc.clusterStart');
export const kStop = Symbol('qrpc.clusterStop');
/** Cluster: a connection of a binding was bound to an id (after the local kick); registers it cluster-wide. */
export const kIdBound = Symbol('qrpc.idBound');
/** Cluster: a connection closed; its rooms and its id claim are dropped. */
export const kConnectionClosed = Symbol('qrpc.connectionClosed');
