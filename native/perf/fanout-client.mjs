// Diagnostic: N idle net connections to a port (used by fanout.mjs).
import net from 'node:net';
const [port, n] = process.argv.slice(2).map(Number);
let up = 0, started = 0;
function one() {
  if (started >= n) return;
  started++;
  const s = net.connect(port, '127.0.0.1', () => { if (++up === n) process.stdout.write('up\n'); one(); });
  s.on('data', () => {});
  s.on('error', () => { started--; up = up; one(); });
}
for (let i = 0; i < 100; i++) one();
