// grpc-js: unary SayHello; fanout expressed as a server-streaming Subscribe.
import { runServer } from '../../lib/server-runner.mjs';
import { HELLO } from '../../lib/common.mjs';
import { Greeter, grpc } from './proto.mjs';

const EMPTY = Buffer.alloc(0);

await runServer({
  async start({ host, port }) {
    const subs = new Set();
    const server = new grpc.Server();
    server.addService(Greeter.service, {
      SayHello(call, cb) { cb(null, { message: HELLO + call.request.name }); },
      Subscribe(call) {
        subs.add(call);
        call.on('cancelled', () => subs.delete(call));
        call.on('error', () => subs.delete(call));
        call.write({ data: EMPTY });
      },
    });
    const bound = await new Promise((res, rej) =>
      server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
    return {
      port: bound,
      pushAll(payload) {
        for (const call of subs) call.write({ data: payload });
        return subs.size;
      },
      close() { server.forceShutdown(); },
    };
  },
});
