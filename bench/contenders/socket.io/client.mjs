// socket.io client: emitWithAck, websocket transport only, one Manager per connection.
import { io } from 'socket.io-client';
import { runClient } from '../../lib/client-runner.mjs';
import { REQ_PAYLOAD } from '../../lib/common.mjs';

await runClient({
  connect(port, { onPush }) {
    return new Promise((resolve, reject) => {
      const socket = io(`http://127.0.0.1:${port}`, {
        transports: ['websocket'], forceNew: true, reconnection: false, perMessageDeflate: false,
      });
      if (onPush) socket.on('push', onPush);
      socket.once('connect_error', reject);
      socket.once('connect', () => {
        resolve({
          call() { return socket.emitWithAck('hello', REQ_PAYLOAD); },
          close() { socket.close(); },
        });
      });
    });
  },
});
