// The penrig dashboard: plain JavaScript, no framework, nothing loaded from
// elsewhere. Reads /api/live, /api/history, /api/whoami; follows the daemon's
// live events (Server-Sent Events on /api/events); draws plots as SVG.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const MAX_POINTS = 4000;   // plotted progress samples kept (bounded memory)
const $ = (sel) => document.querySelector(sel);

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? '' : String(k)));
  return e;
}
function sv(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  return e;
}
function fmt(v, digits) { return (typeof v === 'number' && isFinite(v)) ? v.toFixed(digits) : '—'; }
function dlFill(dl, pairs) {
  dl.replaceChildren();
  for (const [k, v] of pairs) dl.append(el('div', {}, el('dt', {}, k), el('dd', {}, v)));
}

// ---------------------------------------------------------------- state
let live = null;
let whoami = { write_enabled: false, user: null };
let token = sessionStorage.getItem('penrig-token') || '';
const run = { id: null, points: [], depth: [], setpoints: [], tol: 0.05, expected: 0, stalls: [], verdict: null };

function headers(json) {
  const h = {};
  if (token) h.Authorization = 'Bearer ' + token;
  if (json) h['Content-Type'] = 'application/json';
  return h;
}
async function getJSON(url) {
  const r = await fetch(url, { headers: headers(false), cache: 'no-store' });
  if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
  return r.json();
}
async function postJSON(url, body) {
  const r = await fetch(url, { method: 'POST', headers: headers(true), body: JSON.stringify(body) });
  let j = {};
  try { j = await r.json(); } catch (_) { /* no body */ }
  return { status: r.status, body: j };
}

// ---------------------------------------------------------------- pages
function showPage() {
  const name = (location.hash || '#rig').slice(1);
  for (const p of document.querySelectorAll('.page')) p.classList.toggle('active', p.id === 'page-' + name);
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.page === name);
}

function renderRig() {
  if (!live) return;
  const h = live.health, s = live.status;
  $('#fixture-name').textContent = h.fixture.name;
  dlFill($('#rig-fixture'), [['name', h.fixture.name], ['backend', h.fixture.backend], ['file', h.fixture.file]]);
  dlFill($('#rig-state'), [['state', s.state], ['queued', s.queue_length], ['uptime', fmt(h.uptime_s, 0) + ' s'],
    ['watchdog', h.watchdog.loop_stuck ? 'LOOP STUCK' : 'ok'], ['today', h.today]]);
  dlFill($('#rig-software'), [['version', h.version], ['rig key', h.key_id || 'none (runs unsigned)']]);
  const tb = $('#calibration tbody');
  tb.replaceChildren();
  const today = Date.parse(h.today + 'T00:00:00Z');
  for (const c of h.calibration) {
    const due = Date.parse(c.due + 'T00:00:00Z');
    const days = isFinite(due) ? Math.round((due - today) / 86400000) : '—';
    tb.append(el('tr', { 'data-instrument': c.instrument }, el('td', {}, c.instrument), el('td', {}, c.id), el('td', {}, c.due),
      el('td', {}, days), el('td', { class: 'status-' + c.status }, c.status)));
  }
  renderLateness(h.loop);
}

function renderLateness(loop) {
  const svg = $('#lateness');
  svg.replaceChildren();
  if (!loop || !loop.timing || !loop.timing.histogram) {
    $('#loop-run').textContent = '(no run yet)';
    dlFill($('#loop-figures'), []);
    svg.append(sv('text', { x: 20, y: 100 }, 'The loop histogram appears after the first run.'));
    return;
  }
  const t = loop.timing, hg = t.histogram;
  $('#loop-run').textContent = 'of run ' + loop.run_id;
  dlFill($('#loop-figures'), [['samples', t.samples], ['p50', fmt(t.lateness_us.p50, 1) + ' µs'], ['p99', fmt(t.lateness_us.p99, 1) + ' µs'],
    ['max', fmt(t.lateness_us.max, 1) + ' µs'], ['late', t.late_samples], ['missed', t.missed_samples], ['budget', fmt(t.budget_us, 0) + ' µs'],
    ['outcome', t.outcome]]);
  const n = hg.counts.length, W = 640, H = 200, L = 50, B = 30, bw = (W - L - 10) / n;
  const top = Math.log10(Math.max(...hg.counts, 1) + 1);
  svg.append(sv('line', { class: 'axis', x1: L, y1: H - B, x2: W - 10, y2: H - B }));
  for (let i = 0; i < n; i++) {
    const c = hg.counts[i], h = top > 0 ? (Math.log10(c + 1) / top) * (H - B - 20) : 0;
    const x = L + i * bw;
    const bar = sv('rect', { class: 'bar', x: x + 2, y: H - B - h, width: bw - 4, height: h, 'data-count': c });
    bar.append(sv('title', {}, `${hg.lower_us[i]}–${hg.upper_us[i] == null ? '∞' : hg.upper_us[i]} µs: ${c}`));
    svg.append(bar);
    svg.append(sv('text', { x: x + 2, y: H - B + 14 }, '≥' + hg.lower_us[i]));
    if (c > 0) svg.append(sv('text', { x: x + 2, y: H - B - h - 3 }, c));
  }
  svg.append(sv('text', { x: 4, y: 14 }, 'samples (log scale) per lateness bucket, µs'));
}

// ---------------------------------------------------------------- live run
function resetRun(ev) {
  run.id = ev.run_id; run.points = []; run.depth = []; run.setpoints = []; run.stalls = [];
  run.tol = typeof ev.rate_tolerance === 'number' ? ev.rate_tolerance : 0.05;
  run.expected = ev.expected_s || 0; run.verdict = null;
  run.scenario = ev.scenario_id || ''; run.last = null;
  $('#measurements tbody').replaceChildren();
  $('#stalls').replaceChildren();
  $('#live-verdict').textContent = ''; $('#live-verdict').className = 'verdict';
  $('#live-step').replaceChildren(el('span', { class: 'label' }), ' ', el('code', { class: 'yaml' }));
  renderHead();
}

function renderHead() {
  const s = live && live.status, r = s && s.run;
  const p = (r && r.run_id === run.id && r.progress) || run.last;
  if (r && r.run_id === run.id && r.scenario_id) run.scenario = r.scenario_id;
  const rows = [['run', run.id || '—'], ['scenario', run.scenario || '—'],
    ['t', p ? fmt(p.t_s, 1) + ' / ' + fmt(p.expected_s, 1) + ' s' : '—']];
  if (p) rows.push(['rate', fmt(p.rate_hz, 1) + ' Hz'], ['depth', fmt(p.depth_mm, 3) + ' mm']);
  dlFill($('#live-head'), rows);
}

function onRunEvent(ev) {
  if (ev.event === 'started' || (run.id !== ev.run_id && ev.event !== 'verdict')) resetRun(ev);
  switch (ev.event) {
    case 'step': {
      const st = $('#live-step');
      st.replaceChildren(el('span', { class: 'label' }, `step ${ev.index + 1} (line ${ev.line}): ${ev.label}`), ' ',
        el('code', { class: 'yaml' }, ev.yaml || ''));
      if (typeof ev.setpoint_hz === 'number') run.setpoints.push({ t: ev.t_s, v: ev.setpoint_hz });
      if (ev.kind === 'stall' || ev.kind === 'release') {
        run.stalls.push({ t: ev.t_s, kind: ev.kind });
        $('#stalls').append(el('li', {}, `${fmt(ev.t_s, 3)} s  ${ev.label} (line ${ev.line})`));
      }
      break;
    }
    case 'progress':
      run.points.push({ t: ev.t_s, v: ev.rate_hz });
      run.depth.push({ t: ev.t_s, v: ev.depth_mm });
      if (run.points.length > MAX_POINTS) { run.points.shift(); run.depth.shift(); }
      if (ev.expected_s) run.expected = ev.expected_s;
      run.last = ev;
      renderHead();
      break;
    case 'measurement': {
      const m = ev.measurement;
      const lim = (m.low == null && m.high == null) ? '—' : `${m.low == null ? '' : fmt(m.low, 3)} … ${m.high == null ? '' : fmt(m.high, 3)}`;
      // A provisional outcome (a closing reference still to come) is shown as
      // such; its final event replaces the row.
      const row = el('tr', { 'data-outcome': m.outcome, 'data-id': m.id }, el('td', {}, m.label), el('td', {}, m.line),
        el('td', {}, m.name), el('td', {}, m.value == null ? '—' : `${fmt(m.value, 4)} ${m.unit || ''}`), el('td', {}, lim),
        el('td', { class: ev.provisional ? 'v-provisional' : 'v-' + m.outcome }, m.outcome));
      const old = ev.final ? [...document.querySelectorAll('#measurements tbody tr')].find((r) => r.dataset.id === m.id) : null;
      if (old) old.replaceWith(row); else $('#measurements tbody').append(row);
      break;
    }
    case 'verdict': {
      run.verdict = ev.verdict;
      const v = $('#live-verdict');
      v.textContent = ev.verdict; v.className = 'verdict v-' + ev.verdict;
      v.title = ev.reason || '';
      loadHistory();
      break;
    }
    default: break;
  }
  schedulePlot();
}

let plotPending = false;
function schedulePlot() {
  if (plotPending) return;
  plotPending = true;
  requestAnimationFrame(() => { plotPending = false; drawRate(); drawDepth(); });
}

function axes(svg, W, H, L, B, x0, x1, y0, y1, unit) {
  for (let i = 0; i <= 4; i++) {
    const y = H - B - (i / 4) * (H - B - 10);
    svg.append(sv('line', { class: 'grid', x1: L, y1: y, x2: W - 10, y2: y }));
    svg.append(sv('text', { x: 4, y: y + 4 }, fmt(y0 + (i / 4) * (y1 - y0), y1 - y0 < 5 ? 2 : 0)));
  }
  svg.append(sv('line', { class: 'axis', x1: L, y1: H - B, x2: W - 10, y2: H - B }));
  svg.append(sv('line', { class: 'axis', x1: L, y1: 10, x2: L, y2: H - B }));
  for (let i = 0; i <= 5; i++) {
    const x = L + (i / 5) * (W - L - 10);
    svg.append(sv('text', { x: x - 8, y: H - B + 14 }, fmt(x0 + (i / 5) * (x1 - x0), 1)));
  }
  svg.append(sv('text', { x: W - 60, y: H - 4 }, 'time, s'));
  svg.append(sv('text', { x: L + 4, y: 20 }, unit));
}

// A plot of `pts` ({t, v}) against time in the <svg> `sel`, `H` px high:
// cleared, axes drawn (time up to the run's expected length, values up to
// `vmax`); returns its scales, its plot area's bottom and series() to draw the
// points last (on top).
function timePlot(sel, H, pts, vmax, unit) {
  const svg = $(sel), W = 640, L = 46, B = 28;
  svg.replaceChildren();
  svg.setAttribute('data-points', String(pts.length));
  const tmax = Math.max(run.expected || 0, pts.length ? pts[pts.length - 1].t : 0, 1);
  axes(svg, W, H, L, B, 0, tmax, 0, vmax, unit);
  const X = (t) => L + (t / tmax) * (W - L - 10), Y = (v) => H - B - (v / vmax) * (H - B - 10);
  const series = () => {
    if (pts.length) svg.append(sv('polyline', { class: 'series', points: pts.map((p) => `${X(p.t).toFixed(1)},${Y(p.v).toFixed(1)}`).join(' ') }));
  };
  return { svg, X, Y, tmax, bottom: H - B, series };
}

function drawRate() {
  const pts = run.points;
  const vmax = Math.max(10, ...pts.map((p) => p.v), ...run.setpoints.map((s) => s.v * (1 + run.tol))) * 1.1;
  const { svg, X, Y, tmax, bottom, series } = timePlot('#rate-plot', 240, pts, vmax, 'rate, Hz');
  // Setpoint (dashed) and the ±tolerance band around it, step by step.
  let sp = '';
  run.setpoints.forEach((s, i) => {
    const t1 = i + 1 < run.setpoints.length ? run.setpoints[i + 1].t : tmax;
    if (s.v > 0) svg.append(sv('rect', { class: 'band', x: X(s.t), y: Y(s.v * (1 + run.tol)), width: Math.max(0, X(t1) - X(s.t)),
      height: Math.max(0, Y(s.v * (1 - run.tol)) - Y(s.v * (1 + run.tol))) }));
    sp += `${X(s.t)},${Y(s.v)} ${X(t1)},${Y(s.v)} `;
  });
  if (sp) svg.append(sv('polyline', { class: 'setpoint', points: sp.trim() }));
  for (const s of run.stalls) svg.append(sv('line', { class: 'stall', x1: X(s.t), y1: 10, x2: X(s.t), y2: bottom }));
  series();
}

function drawDepth() {
  const pts = run.depth;
  timePlot('#depth-plot', 160, pts, Math.max(0.5, ...pts.map((p) => p.v)) * 1.2, 'depth at BDC, mm').series();
}

function renderLive() {
  if (!live) return;
  const r = live.status.run;
  $('#live-idle').hidden = !!r || !!run.id;
  if (r && r.run_id !== run.id) resetRun({ run_id: r.run_id, scenario_id: r.scenario_id, expected_s: live.status.expected_s });
  renderHead();
  $('#live-actions').hidden = !(whoami.write_enabled && r && r.state === 'running');
}

// ---------------------------------------------------------------- queue, history
function renderQueue() {
  if (!live) return;
  const tb = $('#queue tbody');
  tb.replaceChildren();
  const rows = [];
  if (live.queue.running) rows.push(live.queue.running);
  for (const q of live.queue.queued) rows.push(q);
  for (const q of rows) {
    const act = el('td');
    if (whoami.write_enabled) {
      act.append(el('button', { type: 'button', class: 'danger', onclick: () => abortRun(q.run_id, act) },
        q.state === 'running' ? 'Abort' : 'Remove'));
    }
    tb.append(el('tr', { 'data-run': q.run_id }, el('td', {}, q.state === 'running' ? 'running' : q.position), el('td', {}, q.run_id),
      el('td', {}, q.scenario_id), el('td', {}, q.dut), el('td', {}, q.operator ? q.operator.name : ''), el('td', {}, q.state), act));
  }
  if (!rows.length) tb.append(el('tr', {}, el('td', { colspan: 7 }, 'The queue is empty.')));
  $('#submit-form').hidden = !whoami.write_enabled;
}

async function loadHistory() {
  let h;
  try { h = await getJSON('/api/history'); } catch (_) { return; }
  const tb = $('#history tbody');
  tb.replaceChildren();
  for (const r of h.runs) {
    const files = el('td');
    if (r.dir) {
      files.append(el('a', { href: `/runs/${encodeURIComponent(r.run_id)}/report.html`, target: '_blank', rel: 'noopener' }, 'report'), ' ',
        el('a', { href: '#queue', onclick: (e) => { e.preventDefault(); listFiles(r.run_id); } }, 'files'));
    }
    tb.append(el('tr', { 'data-run': r.run_id }, el('td', {}, r.run_id), el('td', {}, r.scenario_id), el('td', {}, r.dut),
      el('td', { class: 'v-' + r.verdict, title: r.reason || '' }, r.verdict), el('td', {}, r.ended_utc), files));
  }
  if (!h.runs.length) tb.append(el('tr', {}, el('td', { colspan: 6 }, 'No run has finished yet.')));
}

async function listFiles(id) {
  const box = $('#files');
  box.hidden = false;
  $('#files-title').textContent = 'Files of ' + id;
  const ul = $('#files-list');
  ul.replaceChildren();
  try {
    const j = await getJSON(`/runs/${encodeURIComponent(id)}/`);
    for (const f of j.files) {
      const href = `/runs/${encodeURIComponent(id)}/` + f.path.split('/').map(encodeURIComponent).join('/');
      ul.append(el('li', {}, el('a', { href, target: '_blank', rel: 'noopener' }, f.path), ` (${f.bytes} bytes)`));
    }
  } catch (e) {
    ul.append(el('li', {}, 'cannot list the files: ' + e.message));
  }
}

// ---------------------------------------------------------------- writes
async function abortRun(id, where) {
  const r = await postJSON(`/api/runs/${encodeURIComponent(id)}/abort`, {});
  const msg = r.status === 200 ? `abort requested (${r.body.state})` : `refused: ${(r.body.error && r.body.error.message) || 'HTTP ' + r.status}`;
  const target = where || $('#abort-msg');
  if (where) where.append(' ', el('span', { class: 'msg' }, msg)); else target.textContent = msg;
}

async function submitScenario(e) {
  e.preventDefault();
  const f = $('#submit-file').files[0];
  const out = $('#submit-msg');
  if (!f) { out.textContent = 'choose a scenario file'; return; }
  if (f.size > 512 * 1024) { out.textContent = 'the file is larger than 512 KiB'; return; }
  const body = { scenario_text: await f.text(), name: f.name, dut: $('#submit-dut').value, lot: $('#submit-lot').value };
  const r = await postJSON('/api/submit', body);
  if (r.status === 200) {
    out.textContent = `queued ${r.body.run_id} at position ${r.body.position}`;
  } else {
    const d = (r.body.error && r.body.error.diagnostics) || [];
    out.textContent = `refused: ${(r.body.error && r.body.error.message) || 'HTTP ' + r.status}` + (d.length ? ' — ' + d.join('; ') : '');
  }
}

async function loadWhoami() {
  try { whoami = await getJSON('/api/whoami'); } catch (_) { return; }
  const signedIn = !!whoami.user;
  $('#access-state').textContent = !whoami.write_enabled ? 'read-only' : signedIn ? `signed in: ${whoami.user}` : 'not signed in';
  $('#token-form').hidden = !whoami.write_enabled || signedIn;
  $('#sign-out').hidden = !signedIn || whoami.via !== 'http token';
  renderLive(); renderQueue();
}

// ---------------------------------------------------------------- live events
let es = null;
function setConn(state) { const c = $('#conn'); c.dataset.state = state; c.textContent = state; }

async function refresh() {
  try { live = await getJSON('/api/live'); } catch (_) { return; }
  renderRig(); renderLive(); renderQueue();
  loadHistory(); loadWhoami();
}

function connect() {
  es = new EventSource('/api/events');
  es.addEventListener('open', () => { setConn('live'); refresh(); });
  es.addEventListener('error', () => {
    setConn('reconnecting');
    // The browser retries by itself after a dropped stream; after a refused
    // one (the daemon answered with an error) it gives up: start again.
    if (es.readyState === EventSource.CLOSED) { es.close(); setTimeout(connect, 2000); }
  });
  es.addEventListener('state', (e) => {
    live = JSON.parse(e.data);
    renderRig(); renderLive(); renderQueue(); loadHistory();
  });
  es.addEventListener('run', (e) => onRunEvent(JSON.parse(e.data)));
  es.addEventListener('resync', () => refresh());
}

document.addEventListener('DOMContentLoaded', () => {
  window.addEventListener('hashchange', showPage);
  showPage();
  $('#token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    token = $('#token').value.trim();
    sessionStorage.setItem('penrig-token', token);
    $('#token').value = '';
    loadWhoami();
  });
  $('#sign-out').addEventListener('click', () => { token = ''; sessionStorage.removeItem('penrig-token'); loadWhoami(); });
  $('#abort').addEventListener('click', () => { if (run.id) abortRun(run.id, null); });
  $('#submit-form').addEventListener('submit', submitScenario);
  drawRate(); drawDepth();
  refresh();
  connect();
});
