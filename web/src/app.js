// mailprobe dashboard: reads the daemon's JSON API (/api/v1/...) and renders it.
// No framework. Every string from the server (names, summaries, labels) is untrusted and
// reaches the page through textContent or a property, never through innerHTML.

const REFRESH_MS = 15000;
const FETCH_TIMEOUT_MS = 10000;
const HISTORY_LIMIT = 100;
const RESULTS_LIMIT = 10000; // a day of a check that runs every 10 s
const RECENT_RESULTS = 30;
const DAY_MS = 24 * 3600 * 1000;
const CHART_HEIGHT = 170;
const LATE_MS = 60 * 1000; // a check this much past its next_run is flagged
const RECORD_CHANGES_LIMIT = 50;
// Record values longer than VALUE_MAX (DKIM keys) show their start and end only; the
// cell's title has them whole.
const VALUE_MAX = 100;
const VALUE_HEAD = 40;
const VALUE_TAIL = 16;
// Worst first, as core/state.hpp rolls states up (OK < UNKNOWN < WARNING < CRITICAL).
const ORDER = ['CRITICAL', 'WARNING', 'UNKNOWN', 'PENDING', 'OK'];
const COUNTED = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN', 'PENDING'];

const model = { checks: null, history: null, selected: null, resultsFor: null };
const charts = new Map(); // element id -> uPlot
let timer = null;
let detailToken = 0;

const $ = (id) => document.getElementById(id);

// Creates an element; strings among the children become text nodes (safe for server text).
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key in el) el[key] = value;
    else el.setAttribute(key, value);
  }
  for (const child of children.flat()) if (child != null && child !== false) el.append(child);
  return el;
}

// ---- formatting ----

const pad = (n) => String(n).padStart(2, '0');
const time = (iso) => (iso ? Date.parse(iso) : NaN);
const rank = (state) => (ORDER.includes(state) ? ORDER.indexOf(state) : ORDER.indexOf('UNKNOWN'));
const stateClass = (state) => `st-${ORDER.includes(state) ? state.toLowerCase() : 'unknown'}`;

function clock(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function dateTime(ms) {
  if (!Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(ms)}`;
}

// Clock time for today (relative to the server's "now"), date and minute otherwise.
function when(ms, now) {
  if (!Number.isFinite(ms)) return '—';
  const today = new Date(ms).toDateString() === new Date(now).toDateString();
  return today ? clock(ms) : dateTime(ms).slice(0, -3);
}

function span(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const hr = Math.floor((s % 86400) / 3600);
  const min = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${hr} h`;
  if (hr > 0) return `${hr} h ${min} min`;
  if (min >= 10) return `${min} min`;
  if (min > 0) return `${min} min ${s % 60} s`;
  return `${s} s`;
}

function seconds(v) {
  if (v == null || !Number.isFinite(v)) return '—';
  if (v < 0.001) return `${(v * 1e6).toFixed(0)} µs`;
  if (v < 1) return `${(v * 1000).toPrecision(3).replace(/\.?0+$/, '')} ms`;
  if (v < 60) return `${v.toFixed(v < 10 ? 3 : 1)} s`;
  return `${Math.floor(v / 60)} min ${Math.round(v % 60)} s`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// 24-hour ticks; midnight shows the date instead. Ticks less than a minute apart (a new
// check's few minutes, a zoom) show seconds, so that no two ticks read the same.
function axisTime(u, splits) {
  const step = splits.length > 1 ? splits[1] - splits[0] : 60;
  return splits.map((v) => {
    const d = new Date(v * 1000);
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    if (step < 60) return `${hm}:${pad(d.getSeconds())}`;
    return hm === '00:00' ? `${MONTHS[d.getMonth()]} ${d.getDate()}` : hm;
  });
}

function axisSeconds(v) {
  if (v == null) return null; // a split uPlot left unlabelled (log scale)
  if (v === 0) return '0';
  if (v < 1) return `${+(v * 1000).toPrecision(3)} ms`;
  return `${+v.toPrecision(3)} s`;
}

const badge = (state, type, small) =>
  h('span', {
    class: `badge ${stateClass(state)}${type === 'SOFT' ? ' soft' : ''}${small ? ' small' : ''}`,
  }, state || '?');

// ---- data ----

async function getJSON(path) {
  const abort = new AbortController();
  const timeout = setTimeout(() => abort.abort(), FETCH_TIMEOUT_MS);
  const what = path.split('?')[0];
  try {
    const response = await fetch(path, { signal: abort.signal, cache: 'no-store',
      headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error(`HTTP ${response.status} from ${what}`);
    return await response.json();
  } catch (e) {
    if (e.name === 'AbortError') {
      throw new Error(`no answer from ${what} within ${FETCH_TIMEOUT_MS / 1000} s`);
    }
    if (e instanceof TypeError) throw new Error(`cannot connect (${what})`);
    throw e;
  } finally {
    clearTimeout(timeout);
  }
}

const serverNow = () => time(model.checks.generated) || Date.now();
const byName = new Intl.Collator('en', { numeric: true }).compare; // mx2 before mx10
const sortedChecks = () =>
  [...model.checks.checks].sort((a, b) => rank(a.state) - rank(b.state) || byName(a.name, b.name));
const findCheck = (name) => model.checks?.checks.find((c) => c.name === name);
// Checks that watch a domain's DNS records and keep their changes (check_mail_domain).
const watchesRecords = (check) => check?.kind === 'check_mail_domain';
// Uses no fractional seconds, the plainest ISO 8601 form.
const isoSeconds = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

// One refresh at a time; a call during one waits for it.
let running = null;
function refresh() {
  running ??= load().finally(() => { running = null; });
  return running;
}

async function load() {
  clearTimeout(timer);
  try {
    const [checks, history] = await Promise.all([
      getJSON('api/v1/checks'), getJSON(`api/v1/history?limit=${HISTORY_LIMIT}`)]);
    if (!Array.isArray(checks?.checks) || !Array.isArray(history?.changes)) {
      throw new Error('unexpected answer from the API');
    }
    model.checks = checks;
    model.history = history.changes; // newest first
    if (!findCheck(model.selected)) model.selected = fromHash() ?? defaultCheck();
    renderHeader();
    renderChecks();
    renderHistory();
    await loadDetail();
    showError(null);
  } catch (e) {
    showError(e);
  } finally {
    timer = setTimeout(refresh, REFRESH_MS);
  }
}

function defaultCheck() {
  const sorted = sortedChecks();
  return (sorted.find((c) => c.state !== 'OK') ?? sorted[0])?.name ?? null;
}

function fromHash() {
  const m = /^#check=(.*)$/.exec(location.hash);
  if (!m) return null;
  try {
    const name = decodeURIComponent(m[1]);
    return findCheck(name) ? name : null;
  } catch {
    return null;
  }
}

async function loadDetail() {
  const check = findCheck(model.selected);
  const token = ++detailToken;
  renderDetailHead(check);
  if (!watchesRecords(check)) $('records-section').hidden = true; // not another check's
  if (!check) {
    renderRecordChanges(null, null);
    return renderDetailData(null, []);
  }
  const since = isoSeconds(serverNow() - DAY_MS);
  const path = `api/v1/checks/${encodeURIComponent(check.name)}`;
  const [data, records] = await Promise.all([
    getJSON(`${path}/results?since=${encodeURIComponent(since)}&limit=${RESULTS_LIMIT}`),
    // Its own failure (an unreadable state file) is shown in its table, not as the API's.
    watchesRecords(check)
      ? getJSON(`${path}/record-changes?limit=${RECORD_CHANGES_LIMIT}`).catch((error) => ({ error }))
      : null]);
  if (token !== detailToken) return; // another check was selected meanwhile
  renderDetailData(check, Array.isArray(data?.results) ? data.results : []);
  renderRecordChanges(check, records);
}

function select(name, reveal = false) {
  if (!findCheck(name)) return;
  model.selected = name;
  history.replaceState(null, '', `#check=${encodeURIComponent(name)}`);
  renderChecks();
  loadDetail().catch(showError);
  const detail = $('detail');
  if (reveal && detail.getBoundingClientRect().top > innerHeight - 120) {
    detail.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }
}

function showError(e) {
  const line = $('error');
  if (!e) {
    line.hidden = true;
    document.body.classList.remove('stale');
    return;
  }
  const from = model.checks ? `showing data from ${clock(serverNow())}` : 'no data yet';
  const text = `API unreachable (${e.message}): ${from}, retrying every ${REFRESH_MS / 1000} s.`;
  if (line.textContent !== text) line.textContent = text; // role=alert: announce changes only
  line.hidden = false;
  document.body.classList.add('stale');
}

// ---- rendering ----

function renderHeader() {
  const now = serverNow();
  $('location').textContent = model.checks.location ?? '';
  $('location').hidden = !model.checks.location;
  const refresh = $('refresh');
  refresh.textContent = `Updated ${clock(now)}`;
  refresh.title = `Server time of this data: ${dateTime(now)}`;

  const counts = Object.fromEntries(COUNTED.map((s) => [s, { all: 0, soft: 0 }]));
  for (const c of model.checks.checks) {
    const slot = counts[c.state] ?? counts.UNKNOWN;
    slot.all += 1;
    if (c.state_type === 'SOFT' && c.state !== 'OK') slot.soft += 1;
  }
  const items = COUNTED.filter((s) => s !== 'PENDING' || counts[s].all > 0).map((s) =>
    h('li', { class: `count ${stateClass(s)}${counts[s].all ? '' : ' zero'}`,
      title: counts[s].soft ? `${counts[s].soft} of them soft (not yet confirmed)` : null },
    h('span', { class: 'n' }, String(counts[s].all)), ' ', h('span', { class: 'label' }, s),
    counts[s].soft ? h('span', { class: 'soft-note' }, ` (${counts[s].soft} soft)`) : null));
  $('counts').replaceChildren(...items);

  const bad = ['CRITICAL', 'WARNING', 'UNKNOWN'].filter((s) => counts[s].all)
    .map((s) => `${counts[s].all} ${s}`);
  const where = model.checks.location ? ` · ${model.checks.location}` : '';
  document.title = `${bad.length ? bad.join(', ') : 'All OK'} — mailprobe${where}`;
}

function labelList(labels) {
  return h('span', { class: 'labels' }, Object.entries(labels ?? {}).map(([k, v]) =>
    h('span', { class: 'label-chip', title: `${k}=${v}` }, `${k}=${v}`)));
}

function renderChecks() {
  const now = serverNow();
  // The rows are rebuilt: keyboard focus moves to the same check's new button.
  const active = document.activeElement;
  const focused = active?.closest?.('#checks') ? active.dataset.check : null;
  const rows = sortedChecks().map((c) => {
    const since = time(c.since), last = time(c.last_run), next = time(c.next_run);
    const late = Number.isFinite(next) && now - next > LATE_MS;
    const selected = c.name === model.selected;
    const type = c.state === 'PENDING' ? null
      : h('span', { class: 'stype', title: c.state_type === 'SOFT'
        ? `soft state, attempt ${c.attempt}: not confirmed yet` : 'hard state' },
      c.state_type === 'SOFT' ? `SOFT ${c.attempt ?? ''}`.trim() : 'HARD');
    return h('tr', { class: `${stateClass(c.state)}${selected ? ' selected' : ''}`,
      'aria-current': selected ? 'true' : null, onclick: () => select(c.name, true) },
    h('td', { class: 'state' }, badge(c.state, c.state_type), type),
    h('td', { class: 'name' },
      h('button', { type: 'button', class: 'link', 'data-check': c.name }, c.name),
      c.passive ? h('span', { class: 'tag', title: 'passive: measured and stored, never notified' },
        'passive') : null,
      c.notified ? h('span', { class: 'tag notified',
        title: 'notified: this problem was told; its recovery will be too' }, 'notified') : null),
    h('td', { class: 'kind' }, c.kind ?? ''),
    h('td', { class: 'num', title: Number.isFinite(since) ? `since ${dateTime(since)}` : null },
      Number.isFinite(since) ? span(now - since) : '—'),
    h('td', { class: 'num', title: lastRunNote(now, last, next) },
      Number.isFinite(last) ? when(last, now) : 'never',
      late ? h('span', { class: 'tag warn' }, 'late') : null),
    h('td', { class: 'summary', title: c.summary ?? null }, c.summary ?? ''),
    h('td', {}, labelList(c.labels)));
  });
  $('checks').tBodies[0].replaceChildren(...rows);
  $('checks-empty').hidden = rows.length > 0;
  if (focused != null) {
    [...document.querySelectorAll('#checks button[data-check]')]
      .find((b) => b.dataset.check === focused)?.focus();
  }
}

function lastRunNote(now, last, next) {
  const notes = [Number.isFinite(last) ? `${span(now - last)} ago` : null,
    Number.isFinite(next) ? `next run due ${dateTime(next)}` : null];
  return notes.filter(Boolean).join(', ') || null;
}

function renderHistory() {
  const now = serverNow();
  const rows = model.history.map((ch) => {
    const t = time(ch.time);
    const known = findCheck(ch.check);
    const ago = Number.isFinite(t) ? `${dateTime(t)}, ${span(now - t)} ago` : null;
    return h('tr', {},
      h('td', { class: 'num', title: ago }, when(t, now)),
      h('td', { class: 'name' }, known ? h('button', { type: 'button', class: 'link',
        onclick: () => select(ch.check, true) }, ch.check) : ch.check),
      h('td', { class: 'change' }, badge(ch.from, 'HARD', true),
        h('span', { class: 'arrow' }, ' → '), badge(ch.to, ch.state_type, true)),
      h('td', { class: 'stype' }, ch.state_type ?? ''),
      h('td', { class: 'summary', title: ch.summary ?? null }, ch.summary ?? ''));
  });
  $('history').tBodies[0].replaceChildren(...rows);
  $('history-empty').hidden = rows.length > 0;
}

function renderDetailHead(check) {
  const title = $('detail-title');
  if (!check) {
    title.replaceChildren('Select a check');
    $('detail-summary').replaceChildren();
    return;
  }
  const now = serverNow();
  title.replaceChildren(badge(check.state, check.state_type), ' ', h('span', {}, check.name));
  const facts = [
    check.kind,
    check.state === 'PENDING' ? 'never run yet'
      : `${check.state_type === 'SOFT' ? 'soft' : 'hard'} ${check.state}` +
        (Number.isFinite(time(check.since)) ? ` for ${span(now - time(check.since))}` : ''),
    Number.isFinite(time(check.last_run)) ? `last run ${when(time(check.last_run), now)}` : null,
    Number.isFinite(time(check.next_run)) ? `next ${when(time(check.next_run), now)}` : null,
    check.duration_seconds != null ? `took ${seconds(check.duration_seconds)}` : null,
  ].filter(Boolean).join(' · ');
  $('detail-summary').replaceChildren(h('span', { class: 'facts' }, facts), labelList(check.labels),
    h('span', { class: 'full-summary' }, check.summary ?? ''));
}

function renderDetailData(check, results) {
  model.resultsFor = check?.name ?? null;
  const now = serverNow();
  const periods = statePeriods(results, now);
  const shown = chartWindow(results, now);
  renderAvailability(periods, shown.label);
  const xs = results.map((r) => time(r.time) / 1000);
  // Units of every metric the check has measured, so that a value missing from the last
  // run (a lost round trip has no rtt) is still charted.
  const units = new Map([...Object.entries(check?.units ?? {}),
    ...(check?.metrics ?? []).map((m) => [m.name, m.unit])]);
  // "time" is the plugin's total response time: the first chart already shows it.
  const timings = [...units].filter(([name, unit]) => unit === 's' && name !== 'time' &&
    results.some((r) => Number.isFinite(r.metrics?.[name]))).map(([name]) => name);
  const value = (v) => (Number.isFinite(v) ? v : null);

  const any = results.length > 0;
  for (const el of document.querySelectorAll('.chart-window')) el.textContent = shown.label;
  const view = { from: shown.from / 1000, to: now / 1000, periods };
  $('chart-empty').hidden = any;
  $('chart-duration-figure').hidden = !any;
  drawChart('chart-duration', any ? [xs, results.map((r) => value(r.duration_seconds))] : null,
    ['response time'], view, true);
  $('chart-metrics-figure').hidden = !any || timings.length === 0;
  drawChart('chart-metrics', any && timings.length
    ? [xs, ...timings.map((n) => results.map((r) => value(r.metrics?.[n])))] : null,
  timings, view, false);

  const recent = results.slice(-RECENT_RESULTS).reverse().map((r) => h('tr', {},
    h('td', { class: 'num', title: dateTime(time(r.time)) }, when(time(r.time), now)),
    h('td', {}, badge(r.state, r.state_type, true)),
    h('td', { class: 'num' }, seconds(r.duration_seconds)),
    h('td', { class: 'summary', title: r.summary ?? null }, r.summary ?? '')));
  $('results').tBodies[0].replaceChildren(...recent);
  $('results-empty').hidden = recent.length > 0;
}

// What changed in the DNS records of a domain check, newest first; hidden for other checks.
function renderRecordChanges(check, answer) {
  const section = $('records-section');
  section.hidden = !watchesRecords(check);
  if (section.hidden) return;
  const now = serverNow();
  const changes = Array.isArray(answer?.changes) ? answer.changes : [];
  const rows = changes.map((ch) => {
    const t = time(ch.time);
    return h('tr', {},
      h('td', { class: 'num', title: Number.isFinite(t) ? `${dateTime(t)}, ${span(now - t)} ago` : null },
        when(t, now)),
      h('td', { class: 'record' }, ch.record ?? ''),
      recordValue(ch.old), recordValue(ch.new));
  });
  $('records').tBodies[0].replaceChildren(...rows);
  const empty = $('records-empty');
  empty.hidden = rows.length > 0;
  empty.textContent = answer?.error ? `Record changes unavailable (${answer.error.message}).`
    : 'No record changes seen yet.';
}

// A record's value in a cell: null is a record that was absent. A long one keeps its start
// and its end, where two DKIM keys differ (their starts are the same key header).
function recordValue(value) {
  if (value == null) return h('td', { class: 'value absent' }, 'absent');
  const text = String(value);
  const long = text.length > VALUE_MAX;
  return h('td', { class: 'value', title: long ? text : null },
    long ? `${text.slice(0, VALUE_HEAD)}…${text.slice(-VALUE_TAIL)}` : text);
}

// The time the charts show: the last 24 h, or less when the check's history is shorter
// (a new check, a new daemon), so that its results are not squeezed against the right
// edge of an empty day.
function chartWindow(results, now) {
  const first = results.length ? time(results[0].time) : NaN;
  if (!(first > now - DAY_MS + 5 * 60e3)) return { from: now - DAY_MS, label: 'last 24 h' };
  const margin = Math.max(30e3, (now - first) * 0.02);
  return { from: Math.max(now - DAY_MS, first - margin), label: `since ${when(first, now)}` };
}

// The last 24 h cut into periods of one state: each result holds until the next one.
function statePeriods(results, now) {
  const start = now - DAY_MS;
  const periods = [];
  results.forEach((r, i) => {
    const from = Math.max(start, time(r.time));
    const to = Math.min(now, i + 1 < results.length ? time(results[i + 1].time) : now);
    if (!(to > from)) return;
    const last = periods[periods.length - 1];
    if (last && last.state === r.state && last.to === from) last.to = to;
    else periods.push({ state: r.state, from, to });
  });
  return periods;
}

function renderAvailability(periods, label) {
  const total = periods.reduce((sum, p) => sum + p.to - p.from, 0);
  const share = {};
  for (const p of periods) share[p.state] = (share[p.state] ?? 0) + p.to - p.from;
  const title = label.charAt(0).toUpperCase() + label.slice(1);
  $('availability').textContent = total ? `${title}: ${ORDER.filter((s) => share[s])
    .map((s) => `${s} ${((share[s] / total) * 100).toFixed(1)} %`).join(', ')}` : '';
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

// Paints the periods behind the series: a thin band of every state along the top of the
// plot and a light shade over the time spent in a state other than OK.
function paintPeriods(u) {
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  const band = Math.round(4 * devicePixelRatio);
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  for (const p of u.view?.periods ?? []) {
    const name = stateClass(p.state).slice(3);
    const x0 = u.valToPos(p.from / 1000, 'x', true);
    const x1 = u.valToPos(p.to / 1000, 'x', true);
    if (p.state !== 'OK') {
      ctx.fillStyle = cssVar(`--shade-${name}`);
      ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
    }
    ctx.fillStyle = cssVar(`--${name}`);
    ctx.fillRect(x0, top, Math.max(1, x1 - x0), band);
  }
  ctx.restore();
}

function drawChart(id, data, names, view, filled) {
  const host = $(id);
  let chart = charts.get(id);
  const log = $('log-scale').checked;
  const key = `${model.resultsFor}|${names.join(',')}|${log}`;
  if (chart && (!data || chart.key !== key)) {
    chart.destroy();
    charts.delete(id);
    chart = null;
  }
  if (!data) return;
  if (chart) {
    // Keep a zoom the user made; otherwise show the new 24 h.
    const zoomed = chart.scales.x.min !== chart.view.from || chart.scales.x.max !== chart.view.to;
    chart.view = view;
    chart.setData(data, !zoomed);
    if (zoomed) chart.redraw();
    return;
  }
  const palette = [1, 2, 3, 4, 5, 6].map((i) => cssVar(`--series-${i}`));
  const axis = { stroke: cssVar('--muted'), grid: { stroke: cssVar('--grid'), width: 1 },
    ticks: { stroke: cssVar('--grid'), width: 1, size: 4 }, font: '11px system-ui, sans-serif' };
  const opts = {
    width: Math.max(200, host.clientWidth), height: CHART_HEIGHT,
    cursor: { drag: { x: true, y: false } },
    scales: {
      // Automatic ranging (new data, double click) shows the whole 24 h; a zoom its own range.
      x: { time: true, range: (u, min, max) => (u.view && min === u.data[0][0]
        ? [u.view.from, u.view.to] : [min, max]) },
      y: log ? { distr: 3, log: 10 } : { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: [{ ...axis, values: axisTime },
      { ...axis, size: 58, values: (u, vals) => vals.map(axisSeconds) }],
    series: [{ value: (u, v) => (v == null ? '—' : dateTime(v * 1000)) },
      ...names.map((name, i) => ({
        label: name, stroke: palette[i % palette.length], width: 1.5,
        fill: filled ? cssVar('--series-fill') : undefined,
        value: (u, v) => seconds(v), points: { size: 4 },
      }))],
    hooks: { drawClear: [paintPeriods] },
  };
  chart = new uPlot(opts, null, host);
  chart.view = view;
  chart.key = key;
  chart.setData(data);
  charts.set(id, chart);
}

new ResizeObserver(() => {
  for (const [id, chart] of charts) {
    chart.setSize({ width: Math.max(200, $(id).clientWidth), height: CHART_HEIGHT });
  }
}).observe($('detail'));

$('log-scale').addEventListener('change', () => {
  localStorage.setItem('mailprobe.log-scale', $('log-scale').checked ? '1' : '');
  loadDetail().catch(showError);
});
$('log-scale').checked = localStorage.getItem('mailprobe.log-scale') === '1';

window.addEventListener('hashchange', () => {
  const name = fromHash();
  if (name && name !== model.selected) select(name);
});
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') refresh();
});

refresh();
