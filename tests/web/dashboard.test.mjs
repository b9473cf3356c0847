// The dashboard in a real browser (Debian's chromium through playwright-core) against a
// fixture server that serves the built files and the JSON API of the daemon.
//   DASHBOARD_DIR    the output of `node web/build.mjs` (built into a temp dir when unset)
//   CHROMIUM         the browser (default /usr/bin/chromium)
//   SCREENSHOT_PATH  where the screenshot goes (default <tmpdir>/dashboard.png)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { resultsOf } from './fixtures/results.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name) => JSON.parse(readFileSync(join(here, 'fixtures', name), 'utf8'));
const CHECKS = fixture('checks.json');
const HISTORY = fixture('history.json');
const RECORD_CHANGES = fixture('record-changes.json'); // by check name
const SCREENSHOT = process.env.SCREENSHOT_PATH || join(tmpdir(), 'dashboard.png');
// Generous: the test command runs this beside sanitized builds on two shared cores.
const WAIT = { timeout: 15000 };

// Worst first, then by name; PENDING after the real problems.
const EXPECTED_ORDER = [
  ['imaps', 'CRITICAL'], ['mx', 'CRITICAL'], ['edge queue', 'WARNING'], ['roundtrip', 'WARNING'],
  ['imap / archive', 'UNKNOWN'], ['new-imap', 'PENDING'], ['domain example.net', 'OK'],
  ['domain example.org', 'OK'], ['mailstore jobs', 'OK'], ['mailstore license', 'OK'], ['pop3s', 'OK'],
  ['submission', 'OK'],
];

// ---- the fixture server ----

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.txt': 'text/plain; charset=utf-8' };
// What the daemon should send with the page; the dashboard must work under it.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const api = { fail: false, requests: [] };
let built = null;
let dir = process.env.DASHBOARD_DIR;

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(body);
}

function handle(req, res) {
  const url = new URL(req.url, 'http://fixture');
  const path = url.pathname; // still percent-encoded: split before decoding
  if (path.startsWith('/api/')) {
    api.requests.push(req.url);
    if (api.fail) return send(res, 500, 'application/json', '{"error":"internal"}');
  }
  const json = (body) => send(res, 200, 'application/json', JSON.stringify(body));
  if (path === '/') {
    const headers = url.searchParams.has('csp') ? { 'Content-Security-Policy': CSP } : {};
    return send(res, 200, TYPES['.html'], readFileSync(join(dir, 'index.html')), headers);
  }
  const asset = /^\/assets\/([A-Za-z0-9._-]+)$/.exec(path);
  if (asset) {
    try {
      return send(res, 200, TYPES[extname(asset[1])] ?? 'application/octet-stream',
        readFileSync(join(dir, 'assets', asset[1])));
    } catch {
      return send(res, 404, 'text/plain', 'not found');
    }
  }
  if (path === '/api/v1/checks') return json(CHECKS);
  if (path === '/api/v1/history') {
    const limit = Number(url.searchParams.get('limit') ?? 1000);
    return json({ changes: HISTORY.changes.slice(0, limit) });
  }
  const results = /^\/api\/v1\/checks\/([^/]+)\/results$/.exec(path);
  if (results) {
    const name = decodeURIComponent(results[1]);
    if (!CHECKS.checks.some((c) => c.name === name)) return send(res, 404, 'application/json', '{}');
    const since = Date.parse(url.searchParams.get('since'));
    const limit = Number(url.searchParams.get('limit'));
    if (Number.isNaN(since) || !(limit > 0)) return send(res, 400, 'application/json', '{}');
    const list = resultsOf(name).filter((r) => Date.parse(r.time) >= since).slice(-limit);
    return json({ check: name, results: list });
  }
  // As the daemon: 404 for an unknown check and for one that watches no DNS records.
  const records = /^\/api\/v1\/checks\/([^/]+)\/record-changes$/.exec(path);
  if (records) {
    const name = decodeURIComponent(records[1]);
    const check = CHECKS.checks.find((c) => c.name === name);
    if (check?.kind !== 'check_mail_domain') return send(res, 404, 'text/plain', 'not a domain check');
    const limit = Number(url.searchParams.get('limit') ?? 100);
    if (!(limit >= 1 && limit <= 1000)) return send(res, 400, 'text/plain', 'limit');
    const { domain, changes } = RECORD_CHANGES[name];
    return json({ check: name, domain, changes: changes.slice(0, limit) });
  }
  return send(res, 404, 'text/plain', 'not found');
}

// ---- the browser ----

let server, base, browser, page;
const problems = []; // console errors, page errors, failed requests
const dialogs = [];

async function rows(selector) {
  return page.$$eval(`${selector} tbody tr`, (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
}

async function waitForDetail(name) {
  await page.waitForFunction((n) => document.querySelector('#detail-title')?.textContent.endsWith(n) &&
    document.querySelector('#results tbody tr'), name, WAIT);
}

// Size of the chart's canvas and how many of its pixels are painted.
async function canvasInk(selector) {
  return page.$eval(`${selector} canvas`, (canvas) => {
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted += 1;
    return { width: canvas.width, height: canvas.height, painted };
  });
}

before(async () => {
  if (!dir) {
    built = mkdtempSync(join(tmpdir(), 'mailprobe-web-'));
    execFileSync(process.execPath, [join(here, '..', '..', 'web', 'build.mjs'), built]);
    dir = built;
  }
  server = createServer(handle);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    chromiumSandbox: false,
    timeout: 20000,
    args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 },
    timezoneId: 'UTC', locale: 'en-GB' });
  page = await context.newPage();
  page.setDefaultTimeout(5000);
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  // The 15 s refresh is driven by the test (runFor), never by the time the test takes.
  await page.clock.install({ time: new Date('2026-11-22T12:00:05Z') });
  await page.clock.pauseAt(new Date('2026-11-22T12:00:06Z'));
  await page.goto(`${base}/`, WAIT);
  await page.waitForFunction((n) => document.querySelectorAll('#checks tbody tr').length === n,
    CHECKS.checks.length, WAIT);
}, { timeout: 30000 });

after(async () => {
  await browser?.close();
  server?.close();
  if (built) rmSync(built, { recursive: true, force: true });
});

describe('dashboard', { timeout: 60000 }, () => {
  it('loads without console errors', () => {
    assert.deepEqual(problems, []);
  });

  it('shows every check, worst state first, then by name', async () => {
    const table = await page.$$eval('#checks tbody tr', (trs) => trs.map((tr) =>
      [tr.querySelector('td.name button').textContent, tr.querySelector('.badge').textContent]));
    assert.deepEqual(table, EXPECTED_ORDER);
    const soft = await page.$$eval('#checks tbody tr', (trs) => trs.map((tr) =>
      tr.querySelector('.stype')?.textContent ?? ''));
    assert.equal(soft[0], 'SOFT 2'); // imaps: soft CRITICAL, second attempt
    assert.equal(soft[1], 'HARD');
    assert.equal(soft[5], ''); // PENDING has neither
    const passive = await page.$$eval('#checks tbody tr', (trs) => trs.filter((tr) =>
      tr.querySelector('.tag')?.textContent === 'passive').map((tr) => tr.querySelector('button').textContent));
    assert.deepEqual(passive, ['edge queue', 'mailstore license']);
    const notified = await page.$$eval('#checks tbody tr', (trs) => trs.filter((tr) =>
      tr.querySelector('.tag.notified')).map((tr) => tr.querySelector('button').textContent));
    assert.deepEqual(notified, ['mx']);
  });

  it('shows since, last run and labels', async () => {
    const byName = Object.fromEntries((await rows('#checks')).map((r) => [r[1].replace(/(passive|notified)$/, ''), r]));
    assert.equal(byName.mx[3], '22 min'); // since 11:37:10, data generated 12:00:00
    assert.equal(byName.submission[3], '2 d 3 h');
    assert.equal(byName['new-imap'][3], '—');
    assert.equal(byName['new-imap'][4], 'never');
    assert.equal(byName.pop3s[4], '11:53:00late'); // next run was due at 11:58:00
    assert.match(byName.roundtrip[6], /role=roundtrip/);
    const since = await page.$eval('#checks tbody tr:nth-child(2) td:nth-child(4)', (td) => td.title);
    assert.equal(since, 'since 2026-11-22 11:37:10');
  });

  it('counts the checks per state in the header', async () => {
    const counts = await page.$$eval('#counts li', (lis) => lis.map((li) =>
      [li.querySelector('.label').textContent, Number(li.querySelector('.n').textContent)]));
    assert.deepEqual(counts, [['OK', 6], ['WARNING', 2], ['CRITICAL', 2], ['UNKNOWN', 1], ['PENDING', 1]]);
    assert.equal(await page.textContent('#location'), 'lab');
    assert.match(await page.textContent('#refresh'), /^Updated 12:00:00$/);
    assert.equal(await page.title(), '2 CRITICAL, 2 WARNING, 1 UNKNOWN — mailprobe · lab');
  });

  it('shows hostile server text as text', async () => {
    const cell = await page.$eval('#checks tbody tr:nth-child(3) td.summary', (td) => td.textContent);
    assert.equal(cell, 'MAILQ WARNING - 23 messages in queue <script>alert(1)</script>');
    const label = await page.$eval('#checks tbody tr:nth-child(3) .label-chip', (el) => el.textContent);
    assert.equal(label, 'host=edge<img src=x onerror=alert(2)>');
    const injected = await page.evaluate(() => ({
      scripts: [...document.scripts].map((s) => s.getAttribute('src')),
      images: document.images.length,
    }));
    assert.deepEqual(injected, { scripts: ['assets/uPlot.iife.min.js', 'assets/app.js'], images: 0 });
    assert.deepEqual(dialogs, []);
  });

  it('selects the first check that is not OK and draws its chart', async () => {
    await waitForDetail('imaps');
    assert.equal(await page.getAttribute('#checks tbody tr:nth-child(1)', 'aria-current'), 'true');
    const box = await page.locator('#chart-duration canvas').boundingBox();
    assert.ok(box.width > 200 && box.height > 100, JSON.stringify(box));
    const ink = await canvasInk('#chart-duration');
    assert.ok(ink.painted > 1000, JSON.stringify(ink));
    const first = (await rows('#results'))[0];
    assert.deepEqual(first.slice(0, 3), ['11:59:30', 'CRITICAL', '10.0 s']);
    // Results of exactly the last 24 h of the server's clock were asked for.
    const asked = new URL(api.requests.find((r) => r.startsWith('/api/v1/checks/imaps/')), base);
    assert.equal(asked.searchParams.get('since'), '2026-11-21T12:00:00Z');
    assert.ok(Number(asked.searchParams.get('limit')) >= 1440);
  });

  it('switches the detail to another check, with a chart of its timings', async () => {
    await page.click('#checks tbody tr:nth-child(4) td.name button');
    await waitForDetail('roundtrip');
    await page.waitForSelector('#chart-metrics canvas', WAIT);
    assert.equal(await page.isVisible('#chart-metrics-figure'), true);
    const legend = await page.$$eval('#chart-metrics .u-legend .u-series th', (ths) =>
      ths.map((th) => th.textContent.trim()));
    assert.ok(legend.includes('rtt'), legend.join(','));
    assert.ok((await canvasInk('#chart-metrics')).painted > 1000);
    const results = await rows('#results');
    assert.equal(results.length, 30);
    assert.deepEqual(results[0].slice(0, 2), ['11:55:00', 'WARNING']);
    assert.match(await page.textContent('#availability'), /^Last 24 h: CRITICAL 1\.4 %, WARNING 5\.6 %, OK 93\.1 %$/);
    assert.equal(new URL(page.url()).hash, '#check=roundtrip');
  });

  it('asks for the results of a name with a space and a slash, encoded', async () => {
    await page.click('#checks tbody tr:nth-child(5) td.name button');
    await waitForDetail('imap / archive');
    assert.ok(api.requests.some((r) => r.startsWith('/api/v1/checks/imap%20%2F%20archive/results?')));
    // Only response time: its results have no timings in seconds.
    assert.equal(await page.isVisible('#chart-metrics-figure'), false);
    // A check without results shows no chart and says so.
    await page.click('#checks tbody tr:nth-child(6) td.name button');
    await page.waitForFunction(() => !document.querySelector('#chart-empty').hidden, null, WAIT);
    assert.equal(await page.locator('#chart-duration canvas').count(), 0);
  });

  it('draws a check with less than a day of history over the time it has', async () => {
    await page.click('#checks button[data-check="pop3s"]');
    await waitForDetail('pop3s');
    const captions = await page.$$eval('#detail figcaption', (fs) => fs.map((f) => f.textContent));
    assert.match(captions[0], /^Response time, since 11:23:00 /);
    assert.match(captions[1], /^Timings, since 11:23:00$/);
    assert.equal(await page.textContent('#availability'), 'Since 11:23:00: OK 100.0 %');
    // A day-long history keeps the day.
    await page.click('#checks button[data-check="roundtrip"]');
    await waitForDetail('roundtrip');
    assert.match(await page.textContent('#detail figcaption'), /^Response time, last 24 h /);
  });

  it('selects a check from the keyboard and keeps the focus on it', async () => {
    await page.focus('#checks tbody tr:nth-child(2) td.name button'); // mx
    await page.keyboard.press('Enter');
    await waitForDetail('mx');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.check), 'mx');
    assert.equal(await page.getAttribute('#checks tbody tr:nth-child(2)', 'aria-current'), 'true');
  });

  it('shows what changed in the DNS records of a domain check', async () => {
    await page.click('#checks button[data-check="domain example.org"]');
    await waitForDetail('domain example.org');
    await page.waitForSelector('#records-section:not([hidden]) #records tbody tr', WAIT);
    const [dmarc, dkim] = RECORD_CHANGES['domain example.org'].changes;
    assert.deepEqual(await rows('#records'), [
      ['2026-11-21 09:12', 'TXT _dmarc.example.org', dmarc.old, dmarc.new],
      ['2026-11-19 16:05', 'TXT s1._domainkey.example.org', 'absent',
        `${dkim.new.slice(0, 40)}…${dkim.new.slice(-16)}`],
    ]);
    // A shortened key keeps its whole text in the title; a short value needs none.
    const titles = await page.$$eval('#records td.value', (tds) => tds.map((td) => td.title));
    assert.deepEqual(titles, ['', '', '', dkim.new]);
    assert.equal(await page.isVisible('#records-empty'), false);
    // Server text stays text (the new DMARC record carries markup).
    assert.equal(await page.evaluate(() => document.images.length), 0);
    assert.ok(api.requests.includes('/api/v1/checks/domain%20example.org/record-changes?limit=50'));
    await page.screenshot({ path: SCREENSHOT.replace(/(\.png)?$/, '-records.png'), fullPage: true });
  });

  it('says so when a domain check has no record changes, and shows no table for others', async () => {
    await page.click('#checks button[data-check="domain example.net"]');
    await waitForDetail('domain example.net');
    await page.waitForSelector('#records-empty:not([hidden])', WAIT);
    assert.equal(await page.textContent('#records-empty'), 'No record changes seen yet.');
    assert.equal(await page.locator('#records tbody tr').count(), 0);
    assert.equal(await page.isVisible('#records-section'), true);
    await page.click('#checks button[data-check="pop3s"]');
    await waitForDetail('pop3s');
    assert.equal(await page.isVisible('#records-section'), false);
    // Only domain checks are asked for their record changes.
    const asked = api.requests.filter((r) => r.includes('/record-changes'))
      .map((r) => decodeURIComponent(r.split('/')[4]));
    assert.deepEqual([...new Set(asked)], ['domain example.org', 'domain example.net']);
  });

  it('lists the state changes, newest first', async () => {
    const history = await rows('#history');
    assert.equal(history.length, HISTORY.changes.length);
    assert.deepEqual(history[0], ['11:58:30', 'imaps', 'OK → CRITICAL', 'SOFT',
      'SIMAP CRITICAL - timeout after 10.0 s waiting for the IMAP greeting']);
    assert.equal(history[1][4], 'MAILQ WARNING - 23 messages in queue <script>alert(1)</script>');
    assert.equal(history.at(-1)[0], '2026-11-20 08:14');
    // A change of a check that is no longer configured is listed, not linked.
    assert.equal(await page.locator('#history tbody tr:nth-child(9) button').count(), 0);
    await page.click('#history tbody tr:nth-child(5) button'); // roundtrip
    await waitForDetail('roundtrip');
    const file = await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(file.length > 10000 && statSync(SCREENSHOT).size === file.length);
  });

  it('keeps the data and says so when the API fails, and recovers', async () => {
    const before = problems.length;
    api.fail = true;
    try {
      await page.clock.runFor(15000);
      await page.waitForSelector('#error:not([hidden])', WAIT);
      assert.match(await page.textContent('#error'),
        /^API unreachable \(HTTP 500 from api\/v1\/(checks|history)\): showing data from 12:00:00, retrying every 15 s\.$/);
      assert.equal((await rows('#checks')).length, CHECKS.checks.length);
      assert.ok(await page.isVisible('#chart-duration canvas'));
    } finally {
      api.fail = false;
    }
    await page.clock.runFor(15000);
    await page.waitForSelector('#error', { state: 'hidden', ...WAIT });
    // Chromium logs the 500 answers themselves; nothing else may have gone wrong.
    assert.deepEqual(problems.slice(before).filter((p) => !/status of 500/.test(p)), []);
  });

  it('works under a strict Content-Security-Policy, selected by the URL', async () => {
    const csp = await page.context().newPage();
    const violations = [];
    csp.on('console', (m) => { if (m.type() === 'error') violations.push(m.text()); });
    await csp.goto(`${base}/?csp#check=${encodeURIComponent('imap / archive')}`, WAIT);
    await csp.waitForFunction(() => document.querySelector('#detail-title')?.textContent.endsWith('imap / archive') &&
      document.querySelector('#chart-duration canvas'), null, WAIT);
    assert.deepEqual(violations, []);
    await csp.close();
  });
});
