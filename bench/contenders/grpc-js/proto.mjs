import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const def = protoLoader.loadSync(fileURLToPath(new URL('./hello.proto', import.meta.url)), {
  keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
});
export const { Greeter } = grpc.loadPackageDefinition(def).bench;
export { grpc };
