// A slow SMTP server on 127.0.0.1 for bench/daemon_scale.sh: it answers the banner, EHLO
// (offering STARTTLS) and STARTTLS at once, completes the TLS handshake, and then holds its
// answer to the EHLO inside TLS for --hold seconds. Every probe that reaches that point
// keeps a live TLS session open for the whole hold, so a burst of N probes is N TLS
// sessions at once, which Postfix (100 smtpd processes in the lab) cannot show.
//
//   node bench/slow_smtp.mjs --key KEY.pem --cert CERT.pem [--port 0] [--hold 8]
//                            [--lifetime 300] [--max-connections 5000]
//
// Prints `listening PORT` once, then on SIGTERM/SIGINT (or after --lifetime seconds) one
// line of JSON: connections accepted, TLS handshakes, sessions answered up to QUIT, and
// the peaks of open connections, open TLS sessions and sessions held at the same moment.
// Only loopback, bounded in connections and in time: it is a benchmark's fixture.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    key: { type: 'string' },
    cert: { type: 'string' },
    port: { type: 'string', default: '0' },
    hold: { type: 'string', default: '8' },
    lifetime: { type: 'string', default: '300' },
    'max-connections': { type: 'string', default: '5000' },
  },
});
if (!opt.key || !opt.cert) {
  console.error('usage: slow_smtp.mjs --key KEY.pem --cert CERT.pem [--port 0] [--hold 8]');
  process.exit(2);
}
const holdMs = Number(opt.hold) * 1000;
const maxConnections = Number(opt['max-connections']);
// One context for all sessions. Neither client resumes sessions (mailprobe turns its cache
// off, blackbox_exporter has none), so every probe is a full handshake, as against Postfix.
const context = tls.createSecureContext({
  key: readFileSync(opt.key),
  cert: readFileSync(opt.cert),
});

const stats = {
  accepted: 0, refused: 0, handshakes: 0, tls_errors: 0, answered: 0,
  open: 0, open_peak: 0, tls: 0, tls_peak: 0, held: 0, held_peak: 0,
};
const up = (name) => {
  stats[name] += 1;
  stats[`${name}_peak`] = Math.max(stats[`${name}_peak`], stats[name]);
};
const timers = new Set();

const EHLO_PLAIN = '250-slow.localhost\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n';
const EHLO_TLS = '250-slow.localhost\r\n250-PIPELINING\r\n250 8BITMIME\r\n';

// Reads CRLF-terminated commands from a stream and hands each to `onLine`.
function lines(stream, onLine) {
  let buffered = '';
  const onData = (chunk) => {
    buffered += chunk.toString('latin1');
    if (buffered.length > 4096) return stream.destroy(); // nobody sends lines this long
    let end;
    while ((end = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, end).replace(/\r$/, '');
      buffered = buffered.slice(end + 1);
      if (onLine(line) === 'stop') {
        stream.removeListener('data', onData);
        return undefined;
      }
    }
    return undefined;
  };
  stream.on('data', onData);
}

function verb(line) {
  return line.split(' ')[0].toUpperCase();
}

function inTls(plain, closed) {
  const secure = new tls.TLSSocket(plain, { isServer: true, secureContext: context });
  secure.on('close', closed);
  let counted = false;
  secure.on('secure', () => {
    counted = true;
    stats.handshakes += 1;
    up('tls');
  });
  secure.on('error', () => { if (!counted) stats.tls_errors += 1; });
  secure.on('close', () => { if (counted) stats.tls -= 1; });
  lines(secure, (line) => {
    switch (verb(line)) {
      case 'EHLO': case 'HELO': {
        // The point of this server: the session stays open, in TLS, for the hold.
        up('held');
        const timer = setTimeout(() => {
          timers.delete(timer);
          stats.held -= 1;
          if (!secure.destroyed) secure.write(EHLO_TLS);
        }, holdMs);
        timers.add(timer);
        secure.once('close', () => {
          if (timers.delete(timer)) {
            clearTimeout(timer);
            stats.held -= 1;
          }
        });
        return undefined;
      }
      case 'QUIT':
        stats.answered += 1;
        secure.end('221 2.0.0 Bye\r\n');
        return 'stop';
      case 'NOOP': case 'RSET':
        secure.write('250 2.0.0 OK\r\n');
        return undefined;
      default:
        secure.write('502 5.5.2 not in this benchmark\r\n');
        return undefined;
    }
  });
}

const server = net.createServer((socket) => {
  if (stats.open >= maxConnections) {
    stats.refused += 1;
    socket.destroy();
    return;
  }
  stats.accepted += 1;
  up('open');
  // Once the TLS socket has taken over the connection, either object may report the close.
  let isOpen = true;
  const closed = () => {
    if (isOpen) stats.open -= 1;
    isOpen = false;
  };
  socket.on('close', closed);
  socket.on('error', () => {});
  socket.setTimeout(120_000, () => socket.destroy());
  socket.write('220 slow.localhost ESMTP mailprobe bench\r\n');
  lines(socket, (line) => {
    switch (verb(line)) {
      case 'EHLO': case 'HELO':
        socket.write(EHLO_PLAIN);
        return undefined;
      case 'STARTTLS':
        // The answer is queued in clear; the TLS socket takes over the connection at once,
        // before the client's hello can arrive (and takes any bytes already buffered).
        socket.write('220 2.0.0 Ready to start TLS\r\n');
        inTls(socket, closed);
        return 'stop';
      case 'QUIT':
        socket.end('221 2.0.0 Bye\r\n');
        return 'stop';
      default:
        socket.write('502 5.5.2 not in this benchmark\r\n');
        return undefined;
    }
  });
});

function finish() {
  for (const timer of timers) clearTimeout(timer);
  process.stdout.write(`${JSON.stringify(stats)}\n`, () => process.exit(0));
}
process.on('SIGTERM', finish);
process.on('SIGINT', finish);
setTimeout(finish, Number(opt.lifetime) * 1000).unref();

// A deep accept queue: a burst of a thousand connects must not wait for SYN retries.
server.listen({ host: '127.0.0.1', port: Number(opt.port), backlog: 4096 }, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
