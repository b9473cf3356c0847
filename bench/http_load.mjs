// A load generator for bench/daemon_scale.sh: sends GET requests to a /probe URL (mailprobe's
// or blackbox_exporter's) at a fixed rate or with a fixed number in flight, bounded in count
// and in time, and judges each answer by its `probe_success` line, as Prometheus would.
//
//   node bench/http_load.mjs --url URL [--url URL...] (--rate PER_SECOND | --concurrency N)
//        --count MAX_REQUESTS --duration MAX_SECONDS [--warmup SECONDS] [--timeout SECONDS]
//        [--pid PID --clk-tck TICKS]
//
// --url: several take turns, request by request (a mix of probes at one rate).
// --rate: open loop, one request every 1/rate s (a request that would exceed --max-inflight
//   is skipped and counted, so a slow server cannot pile up unbounded work).
// --concurrency: N requests in flight, a new one as soon as one ends; with --count N it is
//   one burst of N requests at once.
// --warmup: requests answered in the first seconds are not counted in the window.
// --pid: the CPU time (utime + stime from /proc/PID/stat) of that process over the window,
//   i.e. from the end of the warm-up until sending stops (or, without a rate, until the
//   last answer), so that the probes counted and the CPU spent cover the same time.
//
// Prints one line of JSON. Talks to whatever URL it is given: the script gives 127.0.0.1.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    url: { type: 'string', multiple: true },
    rate: { type: 'string' },
    concurrency: { type: 'string' },
    count: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '0' },
    timeout: { type: 'string', default: '30' },
    'max-inflight': { type: 'string', default: '256' },
    pid: { type: 'string' },
    'clk-tck': { type: 'string', default: '100' },
  },
});
if (!opt.url?.length || (opt.rate === undefined) === (opt.concurrency === undefined)) {
  console.error('usage: http_load.mjs --url URL (--rate R | --concurrency N) --count N --duration S');
  process.exit(2);
}
const count = Number(opt.count);
const durationMs = Number(opt.duration) * 1000;
const warmupMs = Number(opt.warmup) * 1000;
const timeoutMs = Number(opt.timeout) * 1000;
const maxInflight = opt.rate !== undefined ? Number(opt['max-inflight']) : Number(opt.concurrency);
// Keep-alive as Prometheus scrapes; enough sockets that no request waits for one.
const agent = new http.Agent({ keepAlive: true, maxSockets: maxInflight, maxFreeSockets: maxInflight });

// utime + stime of a process in seconds; the command name (field 2) may hold spaces.
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / Number(opt['clk-tck']);
}

const started = performance.now();
const since = () => performance.now() - started;
const total = { sent: 0, success: 0, failure: 0, errors: 0, skipped: 0, inflight: 0, inflight_peak: 0 };
const window = { success: 0, failure: 0, errors: 0 };
const latencies = [];
const errorKinds = {};
let windowOpen = warmupMs === 0;
let windowStart = windowOpen ? { at: 0, cpu: opt.pid ? cpuSeconds(opt.pid) : 0 } : null;
let windowEnd = null;
let sending = true;

function openWindow() {
  windowOpen = true;
  windowStart = { at: since(), cpu: opt.pid ? cpuSeconds(opt.pid) : 0 };
}
function closeWindow() {
  if (!windowOpen) return;
  windowOpen = false;
  windowEnd = { at: since(), cpu: opt.pid ? cpuSeconds(opt.pid) : 0 };
}

function record(kind, detail) {
  total[kind] += 1;
  if (windowOpen) window[kind] += 1;
  if (detail) errorKinds[detail] = (errorKinds[detail] || 0) + 1;
}

function request() {
  const url = opt.url[total.sent % opt.url.length];
  total.sent += 1;
  total.inflight += 1;
  total.inflight_peak = Math.max(total.inflight_peak, total.inflight);
  const begun = performance.now();
  return new Promise((resolve) => {
    const done = (kind, detail) => {
      total.inflight -= 1;
      latencies.push(performance.now() - begun);
      record(kind, detail);
      resolve();
    };
    const req = http.get(url, { agent, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => {
        if (res.statusCode !== 200) return done('errors', `http ${res.statusCode}`);
        if (/^probe_success 1$/m.test(body)) return done('success');
        if (/^probe_success 0$/m.test(body)) return done('failure');
        return done('errors', 'no probe_success line');
      });
      res.on('error', (e) => done('errors', e.code || e.message));
    });
    req.on('timeout', () => req.destroy(new Error('request timeout')));
    req.on('error', (e) => done('errors', e.code || e.message));
  });
}

async function byRate(rate) {
  const gapMs = 1000 / rate;
  const pending = new Set();
  for (let i = 0; i < count; i += 1) {
    // Scheduled against the start, not the previous request: no drift.
    const wait = started + i * gapMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (!windowOpen && windowEnd === null && since() >= warmupMs) openWindow();
    if (since() >= durationMs) break;
    if (total.inflight >= maxInflight) {
      total.skipped += 1;
      continue;
    }
    const p = request();
    pending.add(p);
    p.then(() => pending.delete(p));
  }
  sending = false;
  closeWindow(); // sending stops: the window ends; the last answers still come in
  await Promise.all(pending);
}

async function byConcurrency(n) {
  const worker = async () => {
    while (sending && total.sent < count && since() < durationMs) {
      if (!windowOpen && windowEnd === null && since() >= warmupMs) openWindow();
      await request();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, count) }, worker));
  sending = false;
  closeWindow(); // every answer is in: the window ends with the last one
}

if (opt.rate !== undefined) await byRate(Number(opt.rate));
else await byConcurrency(Number(opt.concurrency));
agent.destroy();

latencies.sort((a, b) => a - b);
const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : 0);
const windowSeconds = windowStart && windowEnd ? (windowEnd.at - windowStart.at) / 1000 : 0;
const out = {
  ...total,
  elapsed_s: +(since() / 1000).toFixed(3),
  latency_ms: { p50: +pct(0.5).toFixed(1), p95: +pct(0.95).toFixed(1), max: +pct(1).toFixed(1) },
  errors_by_kind: errorKinds,
  window: {
    seconds: +windowSeconds.toFixed(3),
    ...window,
    cpu_s: windowStart && windowEnd ? +(windowEnd.cpu - windowStart.cpu).toFixed(2) : null,
  },
};
delete out.inflight;
process.stdout.write(`${JSON.stringify(out)}\n`);
