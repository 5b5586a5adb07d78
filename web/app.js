// eddy's dashboard: one panel per streaming query, kept live from the
// server's event stream (docs/HTTP.md). Plain browser JavaScript, no build
// step; Chart.js (chart.umd.js) is loaded before this file.
//
// Every value that comes from the server (query names, column names, cells,
// exception texts) reaches the page through textContent, createTextNode,
// setAttribute or a canvas: never as HTML.
'use strict';

(function () {
  const API = '/api/v1';
  const MAX_PROGRESS = 100;     // reports kept per query (the server's limit)
  const RATE_POINTS = 60;       // batches in the rate chart
  const RECENT_IDS = 10;        // batch ids listed
  const PALETTE = ['#2563eb', '#f97316', '#10b981', '#e11d48', '#8b5cf6', '#0891b2',
    '#ca8a04', '#db2777', '#4b5563', '#65a30d', '#7c3aed', '#0d9488'];
  const NUMERIC_TYPE = /^(tinyint|smallint|int|integer|bigint|long|float|double|real|decimal)/i;

  const fmtInt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  const fmtNum = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });
  const fmtRate = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

  // ---- state ---------------------------------------------------------------

  // queries: name -> {name, info (from /queries), result, progress[]}
  const state = {
    queries: Object.create(null),
    order: [],
    connection: 'connecting',   // connecting | live | reconnecting | stopped
    stopped: false,
    stoppedAt: null,
    synced: false,
    lastEventAt: null,
    events: { result: 0, progress: 0, status: 0, ignored: 0 },
  };
  const charts = Object.create(null);          // name -> result Chart
  const progressCharts = Object.create(null);  // name -> rate Chart
  const views = new Map();                     // name -> DOM references
  window.eddyDashboard = { state, charts, progressCharts, sync: () => sync() };

  const $ = (id) => document.getElementById(id);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // ---- formatting ----------------------------------------------------------

  function fmtNumber(v) {
    if (typeof v === 'bigint') return fmtInt.format(v);
    if (typeof v !== 'number' || !Number.isFinite(v)) return String(v);
    return Number.isInteger(v) ? fmtInt.format(v) : fmtNum.format(v);
  }

  function isWindow(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v) && 'start' in v && 'end' in v;
  }

  function cellText(v) {
    if (v === null || v === undefined) return 'NULL';
    if (typeof v === 'number' || typeof v === 'bigint') return fmtNumber(v);
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (isWindow(v)) return String(v.start) + ' – ' + String(v.end);
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }

  // a chart label: the cell as the table shows it
  function labelText(v) { return cellText(v); }

  function toNumber(v) {
    if (typeof v === 'number') return Number.isFinite(v) ? v : null;
    if (typeof v === 'bigint') return Number(v);  // a chart needs no more than a double
    if (typeof v === 'string' && v.trim() !== '') {
      const n = Number(v);
      return Number.isFinite(n) ? n : null;
    }
    return null;
  }

  // 'yyyy-MM-dd HH:mm:ss[.SSSSSS]' (UTC) or ISO 8601 -> ms since the epoch
  const TS = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
  function parseTime(s) {
    if (typeof s !== 'string') return null;
    const m = TS.exec(s.trim());
    if (!m) return null;
    let ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0),
      m[7] ? Math.floor(+(m[7] + '00').slice(0, 3)) : 0);
    if (m[8] && m[8] !== 'Z') {
      const sign = m[8][0] === '-' ? -1 : 1;
      const d = m[8].slice(1).replace(':', '');
      ms -= sign * ((+d.slice(0, 2)) * 60 + (+d.slice(2, 4))) * 60000;
    }
    return ms;
  }

  const pad = (n, w = 2) => String(n).padStart(w, '0');
  function fmtTime(ms, span) {
    const d = new Date(ms);
    const hm = pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
    const withSec = d.getUTCSeconds() !== 0 || span < 120000;
    const t = withSec ? hm + ':' + pad(d.getUTCSeconds()) : hm;
    if (span > 86400000) return pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' + t;
    return t;
  }
  function fmtTimeFull(ms) {
    const d = new Date(ms);
    let s = d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
      pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
    if (d.getUTCMilliseconds()) s += '.' + pad(d.getUTCMilliseconds(), 3);
    return s;
  }
  function fmtWatermark(w) {
    const ms = parseTime(w);
    return ms === null ? String(w) : fmtTimeFull(ms) + ' UTC';
  }
  function fmtClock(d) {
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  // ---- panels --------------------------------------------------------------

  function stat(label, role) {
    const box = el('div', 'stat');
    box.appendChild(el('div', 'stat-label', label));
    const v = el('div', 'stat-value', '—');
    v.setAttribute('data-role', role);
    box.appendChild(v);
    return { box, value: v };
  }

  function createView(name) {
    const v = { name, chart: null, chartKey: null, rateChart: null, columnsKey: null,
      valueIndex: 0, colors: new Map() };
    const card = el('section', 'card');
    card.setAttribute('data-query', name);
    v.card = card;

    // header: name, status badge, output mode, sink
    const head = el('header', 'card-head');
    const titleRow = el('div', 'title-row');
    v.title = el('h2', 'qname', name);
    v.title.title = name;
    v.badge = el('span', 'badge');
    v.badge.setAttribute('data-role', 'status');
    titleRow.append(v.title, v.badge);
    const meta = el('div', 'meta');
    v.mode = el('span', 'chip');
    v.mode.setAttribute('data-role', 'output-mode');
    v.sink = el('span', 'chip');
    v.sink.setAttribute('data-role', 'sink');
    v.batch = el('span', 'chip chip-quiet');
    v.batch.setAttribute('data-role', 'batch');
    meta.append(v.mode, v.sink, v.batch);
    head.append(titleRow, meta);
    card.appendChild(head);

    v.exception = el('pre', 'exception');
    v.exception.setAttribute('data-role', 'exception');
    v.exception.hidden = true;
    card.appendChild(v.exception);

    // result: chart, then table
    const body = el('div', 'card-body');
    v.chartBox = el('div', 'chart-box');
    v.chartBox.setAttribute('data-role', 'chart-box');
    const chartHead = el('div', 'box-head');
    v.chartTitle = el('span', 'box-title', 'chart');
    v.valueSelect = el('select', 'value-select');
    v.valueSelect.setAttribute('aria-label', 'value column');
    v.valueSelect.hidden = true;
    v.valueSelect.addEventListener('change', () => {
      v.valueIndex = v.valueSelect.selectedIndex;
      const q = state.queries[name];
      if (q) renderChart(v, q);
    });
    chartHead.append(v.chartTitle, v.valueSelect);
    const chartWrap = el('div', 'chart-wrap');
    v.canvas = el('canvas');
    v.canvas.setAttribute('data-role', 'result-chart');
    v.canvas.setAttribute('role', 'img');
    chartWrap.appendChild(v.canvas);
    v.chartEmpty = el('div', 'chart-empty', 'no data yet');
    chartWrap.appendChild(v.chartEmpty);
    v.chartBox.append(chartHead, chartWrap);

    const tableBox = el('div', 'table-box');
    const tableHead = el('div', 'box-head');
    tableHead.appendChild(el('span', 'box-title', 'result'));
    v.tableNote = el('span', 'box-note');
    v.tableNote.setAttribute('data-role', 'table-note');
    tableHead.appendChild(v.tableNote);
    const tableWrap = el('div', 'table-wrap');
    v.table = el('table', 'result');
    v.table.setAttribute('data-role', 'result-table');
    v.thead = el('thead');
    v.tbody = el('tbody');
    v.table.append(v.thead, v.tbody);
    tableWrap.appendChild(v.table);
    v.tableWrap = tableWrap;
    tableBox.append(tableHead, tableWrap);
    body.append(v.chartBox, tableBox);
    card.appendChild(body);

    // progress
    const prog = el('div', 'progress');
    prog.setAttribute('data-role', 'progress');
    const progHead = el('div', 'box-head');
    progHead.appendChild(el('span', 'box-title', 'progress'));
    v.progUpdated = el('span', 'box-note', 'no batch yet');
    v.progUpdated.setAttribute('data-role', 'progress-updated');
    progHead.appendChild(v.progUpdated);
    const progBody = el('div', 'progress-body');
    const stats = el('div', 'stats');
    v.stats = {
      input: stat('input rows/s', 'input-rate'),
      processed: stat('processed rows/s', 'processed-rate'),
      duration: stat('last batch', 'batch-duration'),
      rows: stat('rows in last batch', 'num-input-rows'),
      state: stat('state rows', 'state-rows'),
      output: stat('rows written', 'num-output-rows'),
      watermark: stat('watermark', 'watermark'),
    };
    v.stats.watermark.box.classList.add('stat-wide');
    for (const k of Object.keys(v.stats)) stats.appendChild(v.stats[k].box);
    const rateWrap = el('div', 'rate-wrap');
    v.rateCanvas = el('canvas');
    v.rateCanvas.setAttribute('data-role', 'progress-chart');
    v.rateCanvas.setAttribute('role', 'img');
    v.rateCanvas.setAttribute('aria-label', 'input and processed rows per second');
    rateWrap.appendChild(v.rateCanvas);
    progBody.append(stats, rateWrap);
    const ids = el('div', 'batch-ids-row');
    ids.appendChild(el('span', 'batch-ids-label', 'recent batches'));
    v.batchIds = el('span', 'batch-ids', '—');
    v.batchIds.setAttribute('data-role', 'batch-ids');
    ids.appendChild(v.batchIds);
    prog.append(progHead, progBody, ids);
    card.appendChild(prog);
    return v;
  }

  function renderHeader(v, q) {
    const info = q.info || {};
    const status = String(info.status || 'UNKNOWN');
    v.badge.textContent = status;
    v.badge.className = 'badge badge-' + status.toLowerCase().replace(/[^a-z]/g, '');
    v.card.setAttribute('data-status', status);
    if (status === 'FAILED' && info.exception) {
      v.exception.textContent = String(info.exception);
      v.exception.hidden = false;
    } else {
      v.exception.textContent = '';
      v.exception.hidden = true;
    }
    v.mode.textContent = info.outputMode ? String(info.outputMode) : '—';
    v.mode.title = 'output mode';
    v.sink.textContent = info.sink ? String(info.sink) : '—';
    v.sink.title = 'sink';
    const b = q.result ? q.result.batchId : info.batchId;
    v.batch.textContent = typeof b === 'number' && b >= 0 ? 'batch ' + fmtInt.format(b) : 'no batch yet';
  }

  function isNumericColumn(result, i) {
    const t = result.types && result.types[i];
    if (typeof t === 'string') return NUMERIC_TYPE.test(t);
    const c = result.rows.length > 0 ? result.rows[0][i] : null;
    return typeof c === 'number' || typeof c === 'bigint';
  }

  function renderTable(v, q) {
    const r = q.result;
    const columns = r && Array.isArray(r.columns) ? r.columns : [];
    const key = JSON.stringify([columns, r && r.types]);
    const numeric = columns.map((_, i) => isNumericColumn(r, i));
    if (key !== v.columnsKey) {
      v.columnsKey = key;
      const tr = el('tr');
      columns.forEach((c, i) => {
        const th = el('th', numeric[i] ? 'num' : null, c);
        if (r.types && r.types[i]) th.title = String(r.types[i]);
        tr.appendChild(th);
      });
      v.thead.replaceChildren(tr);
    }
    const rows = r && Array.isArray(r.rows) ? r.rows : [];
    const frag = document.createDocumentFragment();
    for (const row of rows) {
      const tr = el('tr');
      for (let i = 0; i < columns.length; i++) {
        const c = Array.isArray(row) ? row[i] : undefined;
        let cls = numeric[i] || typeof c === 'number' || typeof c === 'bigint' ? 'num' : '';
        if (c === null || c === undefined) cls += ' null';
        else if (isWindow(c)) cls += ' win';
        const td = el('td', cls.trim() || null);
        td.appendChild(document.createTextNode(cellText(c)));
        tr.appendChild(td);
      }
      frag.appendChild(tr);
    }
    v.tbody.replaceChildren(frag);
    if (!r || r.batchId < 0) {
      v.tableNote.textContent = 'waiting for the first batch';
    } else {
      const total = typeof r.totalRows === 'number' ? r.totalRows : rows.length;
      if (r.truncated || total > rows.length) {
        v.tableNote.textContent = 'showing ' + fmtInt.format(rows.length) + ' of ' + fmtInt.format(total) + ' rows';
      } else {
        v.tableNote.textContent = fmtInt.format(rows.length) + (rows.length === 1 ? ' row' : ' rows');
      }
    }
    v.card.classList.toggle('has-rows', rows.length > 0);
  }

  // ---- result charts -------------------------------------------------------

  function colorFor(v, key) {
    if (!v.colors.has(key)) v.colors.set(key, PALETTE[v.colors.size % PALETTE.length]);
    return v.colors.get(key);
  }

  function baseOptions() {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: { duration: 250 },
      plugins: { legend: { labels: { boxWidth: 12, boxHeight: 12 } } },
    };
  }

  const numTicks = { callback: (val) => (typeof val === 'number' ? fmtNumber(val) : val) };

  // a round tick step (1 s ... 1 week) giving at most 8 ticks over span ms
  const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800]
    .map((s) => s * 1000);
  function timeStep(span) {
    for (const s of STEPS) if (span / s <= 8) return s;
    return undefined;  // Chart.js picks
  }

  // Builds {type, key, data, options} from the query's chart spec and result.
  function buildChart(v, spec, r) {
    const cols = r.columns || [];
    const rows = r.rows || [];
    const values = (Array.isArray(spec.values) ? spec.values : []).filter((c) => cols.includes(c));
    if (!values.length) return null;
    const vi = values.map((c) => cols.indexOf(c));
    const pick = Math.min(v.valueIndex, values.length - 1);

    if (spec.type === 'bar' || spec.type === 'pie' || spec.type === 'donut') {
      let li = cols.indexOf(spec.label);
      if (li < 0) li = cols.findIndex((c) => !values.includes(c));
      const labels = rows.map((row, n) => (li >= 0 ? labelText(row[li]) : String(n + 1)));
      if (spec.type === 'bar') {
        const datasets = values.map((c, k) => ({
          label: c,
          data: rows.map((row) => toNumber(row[vi[k]])),
          backgroundColor: colorFor(v, 'value:' + c),
          borderRadius: 4,
          maxBarThickness: 64,
        }));
        const options = baseOptions();
        options.plugins.legend.display = values.length > 1;
        options.scales = { y: { beginAtZero: true, ticks: numTicks }, x: { ticks: { autoSkip: true, maxRotation: 45 } } };
        return { type: 'bar', key: 'bar', data: { labels, datasets }, options, values, selectable: false };
      }
      const data = rows.map((row) => toNumber(row[vi[pick]]));
      const datasets = [{
        label: values[pick],
        data,
        backgroundColor: labels.map((l) => colorFor(v, 'label:' + l)),
        borderColor: '#ffffff',
        borderWidth: 2,
      }];
      const options = baseOptions();
      options.plugins.legend.position = 'right';
      if (spec.type === 'donut') options.cutout = '58%';
      return { type: spec.type === 'donut' ? 'doughnut' : 'pie', key: spec.type, data: { labels, datasets },
        options, values, selectable: values.length > 1 };
    }

    if (spec.type === 'line') {
      let xi = cols.indexOf(spec.x);
      if (xi < 0) xi = cols.findIndex((c, i) => !values.includes(c) && rows.some((row) => isWindow(row[i])));
      const si = spec.series ? cols.indexOf(spec.series) : -1;
      const xRaw = rows.map((row) => (xi >= 0 ? row[xi] : null));
      let xKind = 'time';
      const xs = xRaw.map((x) => {
        const t = parseTime(isWindow(x) ? x.start : x);
        return t;
      });
      if (xs.some((t) => t === null)) {
        xKind = xRaw.every((x) => typeof x === 'number') ? 'linear' : 'category';
      }
      const xOf = (n) => (xKind === 'time' ? xs[n] : xKind === 'linear' ? xRaw[n] : labelText(xRaw[n]));
      const groups = new Map();  // dataset label -> points
      const add = (label, pt) => { if (!groups.has(label)) groups.set(label, []); groups.get(label).push(pt); };
      rows.forEach((row, n) => {
        if (si >= 0) add(labelText(row[si]), { x: xOf(n), y: toNumber(row[vi[pick]]) });
        else values.forEach((c, k) => add(c, { x: xOf(n), y: toNumber(row[vi[k]]) }));
      });
      let labels;
      if (xKind === 'category') {
        labels = [...new Set(rows.map((_, n) => xOf(n)))].sort();
        const pos = new Map(labels.map((l, i) => [l, i]));
        for (const pts of groups.values()) pts.sort((a, b) => pos.get(a.x) - pos.get(b.x));
      } else {
        for (const pts of groups.values()) pts.sort((a, b) => a.x - b.x);
      }
      const names = si >= 0 ? [...groups.keys()].sort() : values.filter((c) => groups.has(c));
      const datasets = names.map((name) => {
        const color = colorFor(v, (si >= 0 ? 'series:' : 'value:') + name);
        return {
          label: name,
          data: groups.get(name),
          borderColor: color,
          backgroundColor: color,
          pointRadius: 2,
          pointHoverRadius: 4,
          borderWidth: 2,
          cubicInterpolationMode: 'monotone',
        };
      });
      const options = baseOptions();
      options.interaction = { mode: 'nearest', intersect: false };
      options.plugins.legend.display = datasets.length > 1 || si >= 0;
      const x = xKind === 'category' ? { type: 'category' } : { type: 'linear', ticks: {} };
      if (xKind === 'time') {
        let lo = Infinity;
        let hi = -Infinity;
        for (const t of xs) { if (t < lo) lo = t; if (t > hi) hi = t; }
        x.ticks.callback = function (val) { return fmtTime(val, this.max - this.min); };
        x.ticks.stepSize = timeStep(hi - lo);
        // one point in time: Chart.js would pad the axis by 5% of the value (years)
        x.min = hi === lo ? lo - 30000 : undefined;
        x.max = hi === lo ? hi + 30000 : undefined;
        if (hi === lo) x.ticks.stepSize = 15000;
        x.ticks.maxTicksLimit = 10;
        x.title = { display: true, text: (spec.x ? String(spec.x) : 'time') + ' (UTC)' };
        options.plugins.tooltip = { callbacks: { title: (items) => (items.length ? fmtTimeFull(items[0].parsed.x) : '') } };
      }
      options.scales = { x, y: { beginAtZero: true, ticks: numTicks } };
      if (labels) options.scales.x.labels = labels;
      return { type: 'line', key: 'line:' + xKind, data: labels ? { labels, datasets } : { datasets }, options, values,
        selectable: si >= 0 && values.length > 1 };
    }
    return null;
  }

  // "count by candidate", "count per window by candidate"
  function chartTitle(spec, built, pick) {
    if (!built) return String(spec.type) + ' chart';
    const vals = built.values;
    let what = spec.type === 'bar' || (spec.type === 'line' && !spec.series)
      ? vals.join(', ') : vals[Math.min(pick, vals.length - 1)];
    if (spec.type === 'line') {
      if (spec.x) what += ' per ' + spec.x;
      if (spec.series) what += ' by ' + spec.series;
    } else if (spec.label) {
      what += ' by ' + spec.label;
    }
    return what;
  }

  // Puts new data into a chart's existing data objects, so Chart.js can
  // animate from the old values instead of redrawing from scratch.
  function mergeData(chart, data) {
    chart.data.labels = data.labels || [];
    const old = new Map(chart.data.datasets.map((d) => [d.label, d]));
    chart.data.datasets = data.datasets.map((d) => {
      const o = old.get(d.label);
      if (!o) return d;
      Object.assign(o, d);
      return o;
    });
  }

  function renderChart(v, q) {
    const spec = (q.info && q.info.chart) || { type: 'table' };
    const type = String(spec.type || 'table');
    const hasChart = type !== 'table' && typeof window.Chart === 'function';
    v.card.classList.toggle('no-chart', !hasChart);
    v.chartBox.hidden = !hasChart;
    v.card.setAttribute('data-chart', type);
    if (!hasChart) {
      if (v.chart) { v.chart.destroy(); v.chart = null; delete charts[v.name]; }
      return;
    }
    const r = q.result || { columns: [], rows: [] };
    const built = buildChart(v, spec, r);
    const key = built ? built.key : 'none';
    v.chartTitle.textContent = chartTitle(spec, built, v.valueIndex);
    if (built && built.selectable) {
      const names = built.values.map(String);
      if (JSON.stringify(names) !== v.selectKey) {
        v.selectKey = JSON.stringify(names);
        v.valueSelect.replaceChildren(...names.map((n) => el('option', null, n)));
        v.valueSelect.selectedIndex = Math.min(v.valueIndex, names.length - 1);
      }
      v.valueSelect.hidden = false;
    } else {
      v.valueSelect.hidden = true;
    }
    v.chartEmpty.hidden = !!(r.rows && r.rows.length);
    if (!built) {
      if (v.chart) { v.chart.data.labels = []; v.chart.data.datasets = []; v.chart.update('none'); }
      return;
    }
    v.canvas.setAttribute('aria-label', type + ' chart of ' + built.values.join(', '));
    if (v.chart && v.chartKey === key) {
      mergeData(v.chart, built.data);
      const sx = v.chart.options.scales && v.chart.options.scales.x;
      const bx = built.options.scales && built.options.scales.x;
      if (sx && sx.ticks && bx && bx.ticks) {
        sx.ticks.stepSize = bx.ticks.stepSize;
        sx.min = bx.min;
        sx.max = bx.max;
      }
      v.chart.update();
    } else {
      if (v.chart) v.chart.destroy();
      v.chart = new window.Chart(v.canvas, { type: built.type, data: built.data, options: built.options });
      v.chartKey = key;
      charts[v.name] = v.chart;
    }
  }

  // ---- progress ------------------------------------------------------------

  function renderProgress(v, q) {
    const list = q.progress;
    const last = list.length ? list[list.length - 1] : (q.info && q.info.lastProgress) || null;
    const s = v.stats;
    if (!last) {
      for (const k of Object.keys(s)) s[k].value.textContent = '—';
      v.batchIds.textContent = '—';
      v.progUpdated.textContent = 'no batch yet';
    } else {
      const rate = (x) => (typeof x === 'number' && Number.isFinite(x) ? fmtRate.format(x) : '—');
      s.input.value.textContent = rate(last.inputRowsPerSecond);
      s.processed.value.textContent = rate(last.processedRowsPerSecond);
      const d = last.durationMs && last.durationMs.triggerExecution;
      s.duration.value.textContent = typeof d === 'number' ? fmtInt.format(d) + ' ms' : '—';
      s.rows.value.textContent = typeof last.numInputRows === 'number' ? fmtInt.format(last.numInputRows) : '—';
      const ops = Array.isArray(last.stateOperators) ? last.stateOperators : [];
      s.state.value.textContent = ops.length
        ? fmtInt.format(ops.reduce((a, o) => a + (typeof o.numRowsTotal === 'number' ? o.numRowsTotal : 0), 0))
        : '—';
      const out = last.sink && last.sink.numOutputRows;
      s.output.value.textContent = typeof out === 'number' && out >= 0 ? fmtInt.format(out) : '—';
      const wm = last.eventTime && last.eventTime.watermark;
      s.watermark.value.textContent = wm ? fmtWatermark(wm) : '—';
      const ids = list.slice(-RECENT_IDS).map((p) => p.batchId).filter((b) => typeof b === 'number');
      if (ids.length) {
        const parts = [];
        ids.forEach((b, i) => {
          if (i) parts.push(document.createTextNode(' '));
          parts.push(el('span', 'batch-id', String(b)));
        });
        v.batchIds.replaceChildren(...parts);
      } else {
        v.batchIds.textContent = typeof last.batchId === 'number' ? String(last.batchId) : '—';
      }
      const t = Date.parse(last.timestamp);
      v.progUpdated.textContent = 'batch ' + fmtInt.format(last.batchId) +
        (Number.isFinite(t) ? ' at ' + fmtClock(new Date(t)) : '');
    }
    renderRateChart(v, list);
  }

  function renderRateChart(v, list) {
    if (typeof window.Chart !== 'function') return;
    const pts = list.slice(-RATE_POINTS);
    const series = (field) => pts.map((p) => ({ x: p.batchId, y: typeof p[field] === 'number' && Number.isFinite(p[field]) ? p[field] : null }));
    const datasets = [
      { label: 'input rows/s', data: series('inputRowsPerSecond'), borderColor: '#2563eb', backgroundColor: 'rgba(37,99,235,0.12)', fill: true },
      { label: 'processed rows/s', data: series('processedRowsPerSecond'), borderColor: '#f97316', backgroundColor: '#f97316', fill: false },
    ];
    for (const d of datasets) Object.assign(d, { pointRadius: pts.length > 20 ? 0 : 2, borderWidth: 2, cubicInterpolationMode: 'monotone' });
    // a single batch: an axis from that batch on, not one around it
    const xMin = pts.length === 1 ? Math.max(0, pts[0].batchId - 1) : undefined;
    const xMax = pts.length === 1 ? xMin + 2 : undefined;
    if (v.rateChart) {
      mergeData(v.rateChart, { datasets });
      v.rateChart.options.scales.x.min = xMin;
      v.rateChart.options.scales.x.max = xMax;
      v.rateChart.update('none');
      return;
    }
    const options = baseOptions();
    options.animation = false;
    options.interaction = { mode: 'index', intersect: false };
    options.plugins.legend.position = 'bottom';
    options.plugins.legend.labels.font = { size: 11 };
    options.plugins.tooltip = { callbacks: { title: (items) => (items.length ? 'batch ' + items[0].parsed.x : '') } };
    options.scales = {
      x: { type: 'linear', bounds: 'data', min: xMin, max: xMax, ticks: { precision: 0, maxTicksLimit: 6, font: { size: 10 } }, title: { display: false } },
      y: { beginAtZero: true, ticks: { maxTicksLimit: 4, font: { size: 10 }, callback: numTicks.callback } },
    };
    v.rateChart = new window.Chart(v.rateCanvas, { type: 'line', data: { datasets }, options });
    progressCharts[v.name] = v.rateChart;
  }

  // ---- rendering schedule --------------------------------------------------

  const dirty = new Set();
  let frame = 0;
  function markDirty(name) {
    dirty.add(name);
    if (!frame) {
      frame = requestAnimationFrame(flush);
      // a hidden tab gets no animation frames: do not let the work pile up
      setTimeout(() => { if (frame) { cancelAnimationFrame(frame); flush(); } }, 250);
    }
  }
  function flush() {
    frame = 0;
    const names = [...dirty];
    dirty.clear();
    for (const name of names) {
      const q = state.queries[name];
      const v = views.get(name);
      if (!q || !v) continue;
      renderHeader(v, q);
      renderTable(v, q);
      renderChart(v, q);
      renderProgress(v, q);
    }
    renderSummary();
  }

  function renderSummary() {
    const n = state.order.length;
    const counts = {};
    for (const name of state.order) {
      const s = (state.queries[name].info && state.queries[name].info.status) || 'UNKNOWN';
      counts[s] = (counts[s] || 0) + 1;
    }
    const parts = [n + (n === 1 ? ' query' : ' queries')];
    for (const s of ['ACTIVE', 'STOPPED', 'FAILED']) if (counts[s]) parts.push(counts[s] + ' ' + s.toLowerCase());
    $('summary').textContent = state.synced ? parts.join(' · ') : '';
    const empty = $('empty');
    empty.hidden = n > 0;
    if (state.synced && !n) empty.textContent = 'No queries are running.';
  }

  // ---- applying server data ------------------------------------------------

  function ensureQuery(name) {
    let q = state.queries[name];
    if (!q) {
      q = { name, info: null, result: null, progress: [] };
      state.queries[name] = q;
    }
    if (!views.has(name)) views.set(name, createView(name));
    return q;
  }

  function dropQuery(name) {
    const v = views.get(name);
    if (v) {
      if (v.chart) v.chart.destroy();
      if (v.rateChart) v.rateChart.destroy();
      v.card.remove();
      views.delete(name);
    }
    delete charts[name];
    delete progressCharts[name];
    delete state.queries[name];
  }

  function applyQueryList(list) {
    const names = [];
    for (const info of list) {
      if (!info || typeof info.name !== 'string') continue;
      const q = ensureQuery(info.name);
      if (q.info && q.info.runId && info.runId && q.info.runId !== info.runId) {
        // a new run of the query: its batch ids start again
        q.result = null;
        q.progress = [];
      }
      q.info = info;
      if (info.lastProgress && !q.progress.length) q.progress.push(info.lastProgress);
      names.push(info.name);
      markDirty(info.name);
    }
    for (const name of Object.keys(state.queries)) if (!names.includes(name)) dropQuery(name);
    state.order = names;
    const grid = $('panels');
    names.forEach((name, i) => {
      const card = views.get(name).card;
      if (grid.children[i] !== card) grid.insertBefore(card, grid.children[i] || null);
    });
    renderSummary();
  }

  function applyResult(r) {
    if (!r || typeof r.name !== 'string') return;
    const q = state.queries[r.name];
    if (!q || !q.info) { requestSync(); return; }
    if (q.result && !(r.batchId > q.result.batchId)) { state.events.ignored++; return; }
    q.result = r;
    if (q.info && r.batchId > q.info.batchId) q.info.batchId = r.batchId;
    markDirty(r.name);
  }

  function mergeProgress(name, reports) {
    const q = state.queries[name];
    if (!q) return;
    const byId = new Map();
    for (const p of q.progress) byId.set(p.batchId, p);
    for (const p of reports) {
      if (!p || typeof p.batchId !== 'number') continue;
      if (q.info && q.info.runId && p.runId && p.runId !== q.info.runId) continue;
      byId.set(p.batchId, p);
    }
    q.progress = [...byId.values()].sort((a, b) => a.batchId - b.batchId).slice(-MAX_PROGRESS);
    if (q.info && q.progress.length) q.info.lastProgress = q.progress[q.progress.length - 1];
    markDirty(name);
  }

  function applyProgress(ev) {
    if (!ev || typeof ev.name !== 'string') return;
    if (!state.queries[ev.name] || !state.queries[ev.name].info) { requestSync(); return; }
    mergeProgress(ev.name, [ev.progress]);
  }

  function applyStatus(ev) {
    if (!ev || typeof ev.name !== 'string') return;
    const q = state.queries[ev.name];
    if (!q || !q.info) { requestSync(); return; }
    q.info.status = ev.status;
    q.info.exception = ev.exception === undefined ? null : ev.exception;
    markDirty(ev.name);
  }

  // ---- server I/O ----------------------------------------------------------

  // Result JSON: an integer cell beyond 2^53 (a bigint count or sum) becomes
  // a BigInt from its source digits (JSON.parse source text access,
  // Chromium 114+), so the table shows it exactly; a double would round it.
  function resultReviver(k, v, ctx) {
    if (typeof v === 'number' && !Number.isSafeInteger(v) && ctx && typeof ctx.source === 'string' &&
        /^-?[0-9]+$/.test(ctx.source)) return BigInt(ctx.source);
    return v;
  }

  async function getJSON(url, reviver) {
    const res = await fetch(url, { cache: 'no-store', headers: { Accept: 'application/json' } });
    if (!res.ok) {
      const e = new Error(url + ': HTTP ' + res.status);
      e.status = res.status;
      throw e;
    }
    return reviver ? JSON.parse(await res.text(), reviver) : res.json();
  }

  async function syncOnce() {
    const body = await getJSON(API + '/queries');
    const list = body && Array.isArray(body.queries) ? body.queries : [];
    applyQueryList(list);
    await Promise.all(list.map(async (info) => {
      const base = API + '/queries/' + encodeURIComponent(info.name);
      const [res, prog] = await Promise.all([
        getJSON(base + '/result', resultReviver).catch(() => null),
        getJSON(base + '/progress').catch(() => null),
      ]);
      if (!state.queries[info.name]) return;
      if (res) applyResult(res);
      if (Array.isArray(prog)) mergeProgress(info.name, prog);
    }));
    state.synced = true;
    renderSummary();
  }

  let syncing = null;
  let syncAgain = false;
  function sync() {
    if (syncing) { syncAgain = true; return syncing; }
    syncing = (async () => {
      try {
        do { syncAgain = false; await syncOnce(); } while (syncAgain);
      } finally {
        syncing = null;
      }
    })();
    return syncing;
  }
  let syncTimer = 0;
  function requestSync() {
    if (syncTimer) return;
    syncTimer = setTimeout(() => { syncTimer = 0; sync().catch(() => {}); }, 100);
  }

  function setConnection(c) {
    state.connection = c;
    const box = $('conn');
    box.setAttribute('data-state', c);
    $('conn-text').textContent = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…', stopped: 'stopped' }[c] || c;
  }

  function setStopped(stopped) {
    const banner = $('banner');
    if (stopped && !state.stopped) {
      state.stopped = true;
      state.stoppedAt = new Date();
      banner.textContent = 'eddy stopped — showing the last state (since ' + fmtClock(state.stoppedAt) + ')';
      banner.hidden = false;
      document.body.classList.add('is-stopped');
      setConnection('stopped');
      // the queries are no longer running, whatever the last word was
      for (const name of state.order) {
        const q = state.queries[name];
        if (q.info && q.info.status === 'ACTIVE') { q.info.status = 'STOPPED'; markDirty(name); }
      }
    } else if (!stopped && state.stopped) {
      state.stopped = false;
      banner.hidden = true;
      banner.textContent = '';
      document.body.classList.remove('is-stopped');
    }
  }

  let es = null;
  let retryTimer = 0;
  let retryDelay = 500;
  function connect() {
    clearTimeout(retryTimer);
    retryTimer = 0;
    if (es) es.close();
    const src = new EventSource(API + '/events');
    es = src;
    const on = (type, fn) => src.addEventListener(type, (ev) => {
      if (es !== src) return;
      let data;
      try { data = JSON.parse(ev.data, type === 'result' ? resultReviver : undefined); } catch (e) { return; }
      state.events[type]++;
      state.lastEventAt = Date.now();
      fn(data);
    });
    on('result', applyResult);
    on('progress', applyProgress);
    on('status', applyStatus);
    src.addEventListener('open', () => {
      if (es !== src) return;
      retryDelay = 500;
      setStopped(false);
      setConnection('live');
      sync().catch(() => {});
    });
    src.addEventListener('error', () => {
      if (es !== src) return;
      // take over reconnection: find out whether eddy is still there
      src.close();
      es = null;
      if (!state.stopped) setConnection('reconnecting');
      sync().then(() => {
        setStopped(false);
        setConnection('reconnecting');
        retryTimer = setTimeout(connect, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 10000);
      }, () => {
        setStopped(true);
        retryTimer = setTimeout(connect, Math.max(retryDelay, 3000));
        retryDelay = Math.min(retryDelay * 2, 10000);
      });
    });
  }

  function start() {
    if (typeof window.Chart === 'function') {
      const d = window.Chart.defaults;
      d.font.family = getComputedStyle(document.body).fontFamily || d.font.family;
      d.font.size = 12;
      d.color = '#475569';
      d.borderColor = 'rgba(148,163,184,0.25)';
    }
    connect();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
