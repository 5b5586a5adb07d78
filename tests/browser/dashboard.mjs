// Drives eddy's dashboard in Debian's chromium (playwright-core, no bundled
// browser) and checks it against the input files themselves.
//
//   node dashboard.mjs --url URL --input DIR --add 'SHELL COMMAND'
//        --screenshot PNG [--eddy-pid PID] [--stopped-screenshot PNG]
//
// The pipeline is tests/e2e/test_browser.sh's: votes_per_candidate (bar),
// votes_per_age_group (donut), votes_per_minute (line, one line per
// candidate) and write_ins (table, append) over the vote JSON files in DIR.
// Expected results are counted here from DIR. After the first state is
// checked, --add runs (it adds files to DIR) and the page must show the new
// counts without reloading. With --eddy-pid, eddy gets SIGTERM at the end and
// the page must keep the last state under a "stopped" banner.
//
// Prints "ok: ..." / "FAIL: ..." per check and ends with
// "browser checks: N passed, M failed"; exits 1 when a check failed.
import { chromium } from 'playwright-core';
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    url: { type: 'string' },
    input: { type: 'string' },
    add: { type: 'string' },
    screenshot: { type: 'string' },
    'stopped-screenshot': { type: 'string' },
    'eddy-pid': { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    timeout: { type: 'string', default: '70' },
  },
});
for (const k of ['url', 'input', 'add', 'screenshot']) {
  if (!opt[k]) { console.error(`dashboard.mjs: --${k} is required`); process.exit(2); }
}

const XSS = '<img src=x onerror=alert(1)>';
const CANDIDATES = ['Donald Trump', 'Kamala Harris', 'Jill Stein'];
const QUERIES = ['votes_per_candidate', 'votes_per_age_group', 'votes_per_minute', 'write_ins'];
const CHART_TYPES = { votes_per_candidate: 'bar', votes_per_age_group: 'doughnut', votes_per_minute: 'line', write_ins: null };

let passed = 0;
let failed = 0;
const ok = (what) => { passed++; console.log('ok: ' + what); };
const bad = (what) => { failed++; console.log('FAIL: ' + what); };
const check = (cond, what) => (cond ? ok(what) : bad(what));
let browser = null;

async function finish(code) {
  if (browser) await browser.close().catch(() => {});
  console.log(`browser checks: ${passed} passed, ${failed} failed`);
  process.exit(code !== undefined ? code : failed ? 1 : 0);
}
const deadline = setTimeout(() => { bad(`gave up after ${opt.timeout} s`); finish(1); }, +opt.timeout * 1000);
deadline.unref();

// ---- expected results, counted from the input files ----------------------

function expected() {
  const byCandidate = {};
  const byAge = {};
  const byMinute = {};
  const writeIns = [];
  for (const f of fs.readdirSync(opt.input).sort()) {
    if (f.startsWith('.') || !f.endsWith('.json')) continue;
    for (const line of fs.readFileSync(path.join(opt.input, f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const v = JSON.parse(line);
      const candidate = v.candidate === null || v.candidate === undefined ? 'NULL' : v.candidate;
      byCandidate[candidate] = (byCandidate[candidate] || 0) + 1;
      byAge[v.age_group] = (byAge[v.age_group] || 0) + 1;
      const start = v.timestamp.slice(0, 16) + ':00';
      const end = new Date(Date.parse(start.replace(' ', 'T') + 'Z') + 60000).toISOString().replace('T', ' ').slice(0, 19);
      const k = `${start} – ${end}|${candidate}`;
      byMinute[k] = (byMinute[k] || 0) + 1;
      // big = length(vote_id) + 2^53 - 2: past 2^53, exact only as a BigInt
      if (candidate !== 'NULL' && !CANDIDATES.includes(candidate))
        writeIns.push(`${v.vote_id}|${v.state}|${v.candidate}|${BigInt(v.vote_id.length) + 9007199254740990n}`);
    }
  }
  return { votes_per_candidate: byCandidate, votes_per_age_group: byAge, votes_per_minute: byMinute, write_ins: writeIns.sort() };
}

// ---- what the page shows ---------------------------------------------------

// Reads every panel's table (as text) and chart data (from eddyDashboard).
function readPage() {
  const out = {};
  for (const card of document.querySelectorAll('[data-query]')) {
    const name = card.getAttribute('data-query');
    const table = card.querySelector('[data-role="result-table"]');
    const head = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
    const rows = [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent));
    const chart = window.eddyDashboard.charts[name];
    let data = null;
    if (chart) {
      data = {
        type: chart.config.type,
        labels: (chart.data.labels || []).map(String),
        datasets: chart.data.datasets.map((d) => ({ label: d.label, data: d.data.map((p) => (p && typeof p === 'object' ? { x: p.x, y: p.y } : p)) })),
      };
    }
    const canvas = card.querySelector('[data-role="result-chart"]');
    out[name] = {
      head,
      rows,
      chart: data,
      chartVisible: !!(canvas && canvas.offsetParent !== null),
      status: card.querySelector('[data-role="status"]').textContent,
      batchIds: card.querySelector('[data-role="batch-ids"]').textContent,
      progress: card.querySelector('[data-role="progress"]').textContent,
      resultBatch: window.eddyDashboard.state.queries[name] && window.eddyDashboard.state.queries[name].result
        ? window.eddyDashboard.state.queries[name].result.batchId : null,
    };
  }
  out.__order = [...document.querySelectorAll('[data-query]')].map((c) => c.getAttribute('data-query'));
  return out;
}

const count = (s) => Number(String(s).replace(/[^0-9-]/g, ''));
const utc = (ms) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

function sameMap(a, b) {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}
function show(m) { const s = JSON.stringify(m); return s.length > 600 ? s.slice(0, 600) + '…' : s; }
// a list of messages, each once, cut short
function brief(list) {
  const counts = new Map();
  for (const m of list) counts.set(m, (counts.get(m) || 0) + 1);
  const s = [...counts].map(([m, n]) => (m.length > 160 ? m.slice(0, 160) + '…' : m) + (n > 1 ? ` (×${n})` : '')).join('; ');
  return s.length > 800 ? s.slice(0, 800) + '…' : s;
}

// Compares one state of the page with the expected results; returns a list of
// differences (empty when all is well).
function differences(page, want) {
  const diffs = [];
  for (const name of ['votes_per_candidate', 'votes_per_age_group']) {
    const p = page[name];
    if (!p) { diffs.push(`${name}: no panel`); continue; }
    const table = {};
    for (const r of p.rows) table[r[0]] = count(r[1]);
    if (!sameMap(table, want[name])) diffs.push(`${name} table ${show(table)} != ${show(want[name])}`);
    const chart = {};
    if (p.chart && p.chart.datasets.length) p.chart.labels.forEach((l, i) => { chart[l] = p.chart.datasets[0].data[i]; });
    if (!sameMap(chart, want[name])) diffs.push(`${name} chart ${show(chart)} != ${show(want[name])}`);
  }
  {
    const p = page.votes_per_minute;
    const table = {};
    if (p) for (const r of p.rows) table[`${r[0]}|${r[1]}`] = count(r[2]);
    if (!p || !sameMap(table, want.votes_per_minute)) diffs.push(`votes_per_minute table ${show(table)} != ${show(want.votes_per_minute)}`);
    const chart = {};
    let sorted = true;
    if (p && p.chart) {
      for (const d of p.chart.datasets) {
        d.data.forEach((pt, i) => {
          if (i && d.data[i - 1].x > pt.x) sorted = false;
          chart[`${utc(pt.x)} – ${utc(pt.x + 60000)}|${d.label}`] = pt.y;
        });
      }
    }
    if (!sameMap(chart, want.votes_per_minute)) diffs.push(`votes_per_minute chart ${show(chart)} != ${show(want.votes_per_minute)}`);
    if (!sorted) diffs.push('votes_per_minute chart points are not sorted by time');
  }
  {
    const p = page.write_ins;
    // the big column's digits, whatever the locale's group separator
    const rows = p ? p.rows.map((r) => [...r.slice(0, 3), r[3] && r[3].replace(/[^0-9-]/g, '')].join('|')).sort() : [];
    if (JSON.stringify(rows) !== JSON.stringify(want.write_ins)) diffs.push(`write_ins table ${show(rows)} != ${show(want.write_ins)}`);
  }
  return diffs;
}

async function waitFor(page, want, seconds) {
  const until = Date.now() + seconds * 1000;
  let diffs;
  let state;
  for (;;) {
    state = await page.evaluate(readPage);
    diffs = differences(state, want);
    if (!diffs.length || Date.now() > until) return { diffs, state };
    await new Promise((r) => setTimeout(r, 200));
  }
}

// ---- the test --------------------------------------------------------------

async function main() {
  const dialogs = [];
  const pageErrors = [];
  const consoleErrors = [];
  let navigations = 0;

  try {
    browser = await chromium.launch({
      executablePath: opt.chromium,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
  } catch (e) {
    bad('launch ' + opt.chromium + ': ' + e.message.split('\n')[0]);
    await finish(1);
  }
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: 'UTC' });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('dialog', (d) => { dialogs.push(d.type() + ': ' + d.message()); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  let stopping = false;  // after SIGTERM, failed reconnections are expected
  page.on('console', (m) => { if (m.type() === 'error' && !stopping) consoleErrors.push(m.text()); });
  page.on('response', (r) => { if (r.status() >= 400 && !stopping) consoleErrors.push(`HTTP ${r.status()} for ${r.url()}`); });
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations++; });
  // any content the policy blocks (inline script or style, eval) is a bug
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  });

  const response = await page.goto(opt.url, { waitUntil: 'load' });
  check(response && response.status() === 200, `GET / answers 200 (got ${response && response.status()})`);
  const csp = (response && response.headers()['content-security-policy']) || '';
  check(csp.includes("default-src 'self'"), `GET / carries the Content-Security-Policy (${csp})`);

  try {
    await page.waitForFunction((n) => document.querySelectorAll('[data-query]').length >= n, QUERIES.length, { timeout: 15000 });
    ok('a panel per query');
  } catch {
    bad('panels did not appear: ' + (await page.evaluate(() => document.body.innerText.slice(0, 400))));
    await finish(1);
  }
  const apiOrder = await page.evaluate(async () => (await (await fetch('/api/v1/queries')).json()).queries.map((q) => q.name));
  const domOrder = await page.evaluate(() => [...document.querySelectorAll('[data-query]')].map((c) => c.getAttribute('data-query')));
  check(JSON.stringify(apiOrder.slice().sort()) === JSON.stringify(QUERIES.slice().sort()), `the API lists the pipeline's queries (${apiOrder})`);
  check(JSON.stringify(domOrder) === JSON.stringify(apiOrder), `panels in the API's order (${domOrder})`);

  // first state
  const want1 = expected();
  const first = await waitFor(page, want1, 20);
  if (first.diffs.length) first.diffs.forEach((d) => bad('first state: ' + d));
  else ok(`first state: tables and charts match the input (${Object.values(want1.votes_per_candidate).reduce((a, b) => a + b, 0)} votes)`);
  for (const name of QUERIES) {
    const p = first.state[name];
    const type = p && p.chart ? p.chart.type : null;
    check(type === CHART_TYPES[name], `${name}: chart type ${type}`);
    if (!CHART_TYPES[name]) check(p && !p.chartVisible, `${name}: no chart shown`);
    check(p && p.status === 'ACTIVE', `${name}: status ACTIVE (${p && p.status})`);
    check(p && /\d/.test(p.batchIds), `${name}: progress shows batch ids (${p && p.batchIds})`);
  }
  check(first.state.votes_per_minute.chart && first.state.votes_per_minute.chart.datasets.map((d) => d.label).sort().join() ===
    Object.keys(want1.votes_per_candidate).sort().join(), 'votes_per_minute: one line per candidate');

  // markup in the data stays text
  const xssCells = await page.$$eval('[data-role="result-table"] td', (tds, s) => tds.filter((td) => td.textContent === s).length, XSS);
  check(xssCells >= 2, `the ${XSS} vote is shown as text (${xssCells} cells)`);
  check(await page.$$eval('[data-query] img, [data-query] script', (e) => e.length) === 0 && await page.$$eval('img', (e) => e.length) === 0,
    'no <img> (or <script>) element comes from the data');

  // live update: more files, no reload
  const charts = ['votes_per_candidate', 'votes_per_age_group', 'votes_per_minute'];
  await page.evaluate((names) => {
    window.__sameDocument = true;
    window.__charts = names.map((n) => window.eddyDashboard.charts[n]);
  }, charts);
  const navBefore = navigations;
  try {
    execSync(opt.add, { stdio: 'inherit', timeout: 20000, shell: '/bin/bash' });
  } catch (e) {
    bad('--add command failed: ' + e.message.split('\n')[0]);
  }
  const want2 = expected();
  check(want2.votes_per_candidate[CANDIDATES[2]] !== want1.votes_per_candidate[CANDIDATES[2]], 'the added files change the counts');
  const second = await waitFor(page, want2, 20);
  if (second.diffs.length) second.diffs.forEach((d) => bad('after adding files: ' + d));
  else ok('after adding files: tables and charts show the new counts');
  check(navigations === navBefore && await page.evaluate(() => window.__sameDocument === true), 'updated without a reload or navigation');
  check(await page.evaluate((names) => names.every((n, i) => window.eddyDashboard.charts[n] === window.__charts[i]), charts),
    'charts updated in place (same Chart instances)');
  // the progress report of the shown result's batch may come just after it
  const idsOk = (p) => {
    const ids = (p.batchIds.match(/\d+/g) || []).map(Number);
    return ids.length >= 2 && ids.every((b, i) => !i || b > ids[i - 1]) && ids[ids.length - 1] >= p.resultBatch;
  };
  let now = second.state;
  for (let i = 0; i < 25 && !QUERIES.every((n) => now[n] && idsOk(now[n])); i++) {
    await new Promise((r) => setTimeout(r, 200));
    now = await page.evaluate(readPage);
  }
  for (const name of QUERIES) {
    const p = now[name];
    check(p && idsOk(p), `${name}: recent batch ids ${p && p.batchIds} reach the shown result's batch ${p && p.resultBatch}`);
  }
  const progress = await page.evaluate(() => {
    const name = 'votes_per_candidate';
    const card = document.querySelector(`[data-query="${name}"]`);
    const ch = window.eddyDashboard.progressCharts[name];
    return {
      rows: card.querySelector('[data-role="num-input-rows"]').textContent,
      duration: card.querySelector('[data-role="batch-duration"]').textContent,
      state: card.querySelector('[data-role="state-rows"]').textContent,
      lines: ch ? ch.data.datasets.map((d) => d.data.length) : [],
    };
  });
  check(/^\d[\d,]*$/.test(progress.rows) && /ms$/.test(progress.duration) && count(progress.state) === Object.keys(want2.votes_per_candidate).length,
    `progress figures (rows ${progress.rows}, duration ${progress.duration}, state rows ${progress.state})`);
  check(progress.lines.length === 2 && progress.lines.every((n) => n >= 2), `rate chart: two lines over the batches (${progress.lines})`);

  await page.screenshot({ path: opt.screenshot, fullPage: true });
  ok('screenshot ' + opt.screenshot);

  // eddy stops: the last state stays, under a banner
  if (opt['eddy-pid']) {
    stopping = true;
    process.kill(+opt['eddy-pid'], 'SIGTERM');
    try {
      await page.waitForFunction(() => {
        const b = document.querySelector('[data-role="banner"]');
        return b && !b.hidden && /eddy stopped/.test(b.textContent);
      }, null, { timeout: 15000 });
      ok('a banner says eddy stopped');
    } catch {
      bad('no "eddy stopped" banner after SIGTERM');
    }
    const last = await page.evaluate(readPage);
    check(!differences(last, want2).length, 'the last state stays on the page');
    check(QUERIES.every((n) => last[n] && last[n].status === 'STOPPED'), `every query shows STOPPED (${QUERIES.map((n) => last[n] && last[n].status)})`);
    if (opt['stopped-screenshot']) await page.screenshot({ path: opt['stopped-screenshot'], fullPage: true });
  }

  check(dialogs.length === 0, `no dialog opened (${brief(dialogs)})`);
  check(pageErrors.length === 0, `no script error (${brief(pageErrors)})`);
  check(consoleErrors.length === 0, `no console error while eddy ran (${brief(consoleErrors)})`);
  const violations = await page.evaluate(() => window.__csp);
  check(violations.length === 0, `nothing blocked by the Content-Security-Policy (${brief(violations)})`);
  await finish();
}

main().catch(async (e) => {
  bad('unexpected error: ' + String((e && e.message) || e).split('\n')[0]);
  await finish(1);
});
