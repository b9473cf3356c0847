// A TCP server on 127.0.0.1 for bench/scheduler_scale.sh's plain TCP checks: it accepts,
// says nothing and closes its side when the client closes (or after --hold seconds), so a
// check_tcp or blackbox_exporter `tcp` probe is a connect and a close and nothing else:
// what remains is the scheduler's own cost, without TLS or a mail server's.
//
//   node bench/tcp_sink.mjs --port PORT [--lifetime 3600] [--hold 10]
//
// Prints `listening PORT` once, then on SIGTERM/SIGINT (or after --lifetime seconds) one
// line of JSON: connections accepted and the peak of open ones. Loopback only, bounded in
// time: a benchmark's fixture.
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    port: { type: 'string' },
    lifetime: { type: 'string', default: '3600' },
    hold: { type: 'string', default: '10' },
  },
});
if (opt.port === undefined) {
  console.error('usage: tcp_sink.mjs --port PORT [--lifetime 3600] [--hold 10]');
  process.exit(2);
}
const stats = { accepted: 0, open: 0, open_peak: 0 };

const server = net.createServer((socket) => {
  stats.accepted += 1;
  stats.open += 1;
  stats.open_peak = Math.max(stats.open_peak, stats.open);
  // A client that never closes costs the server nothing past the hold.
  socket.setTimeout(Number(opt.hold) * 1000, () => socket.destroy());
  socket.on('error', () => {});
  socket.on('end', () => socket.end());
  socket.on('close', () => { stats.open -= 1; });
  socket.resume(); // whatever a client sends is read and dropped
});
server.maxConnections = 10000;

function finish() {
  server.close();
  process.stdout.write(`${JSON.stringify(stats)}\n`);
  process.exit(0);
}
process.on('SIGTERM', finish);
process.on('SIGINT', finish);
setTimeout(finish, Number(opt.lifetime) * 1000).unref();
server.listen(Number(opt.port), '127.0.0.1', 511, () => {
  console.log(`listening ${server.address().port}`);
});
