// A reconnecting client that is kicked ends for good (it does not reconnect):
// its `closed` settles and `isClosed` must then say so too (it stayed false).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeMux, connect } from '../../dist/index.js';
import { startServer } from '../helpers.mjs';

test('kicked with reconnect on: closed settles, isClosed is true, closeReason ERR_KICKED', async () => {
  const mux = new ServeMux();
  mux.handle(3, async (w, req) => {
    await req.connection.setId('alice');
    await w.reply(req.requestId, 3, 'ok');
  });
  const { server, addr } = await startServer(mux);
  const older = await connect(addr, { reconnect: { backoffMs: 20 } });
  const newer = await connect(addr);
  try {
    await older.call(3, '');
    await newer.call(3, '');
    await older.closed;
    assert.is(older.closeReason?.code, 'ERR_KICKED');
    assert.is(older.isClosed, true);
  } finally {
    await older.close();
    await newer.close();
    await server.shutdown({ timeoutMs: 200 });
  }
});

test.run();
