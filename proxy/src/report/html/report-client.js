/* The report page's browser glue, inlined into the page with uPlot (nothing is fetched but the live
 * page's own JSON). It builds every element with textContent / attributes, never innerHTML, so a
 * body or header containing markup stays text. Charts are uPlot's; the only drawing here is the
 * event markers (vertical lines) in a uPlot draw hook. */
/* global document, window, uPlot, fetch, location, Node */
(function () {
  'use strict';
  const LEGACY = '#2f6bd8';
  const CANDIDATE = '#e0701f';
  const BAD = '#c62828';
  const MARK = { rollback: '#c62828', resume: '#2e7d32', 'judge-decision': '#6a1b9a', 'flag-change': '#00838f' };

  const dataEl = document.getElementById('report-data');
  let data = JSON.parse(dataEl.textContent);
  const app = document.getElementById('app');
  const sort = {};
  const filters = {};

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }
  const int = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US'));
  const pct = (x, d = 2) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(d)}%`);
  const ms = (x) => (x === null || x === undefined ? '–' : `${x} ms`);
  const time = (iso) => new Date(iso).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
  const ratio = (a, b) => (a && b ? b / a : null);
  const show = (v) => (v === undefined ? '∅' : JSON.stringify(v));
  const slug = (s) => String(s).replace(/[^A-Za-z0-9_-]/g, '_');
  // Time axes in UTC, 24 h, like the rest of the page.
  const hhmm = (t) => new Date(t * 1000).toISOString().slice(11, 16);
  const timeAxis = { values: (u, vs) => vs.map(hhmm) };
  const timeSeries = { label: 'UTC', value: (u, v) => (v === null ? '–' : time(new Date(v * 1000).toISOString())) };

  function tile(label, value, sub, tone) {
    return el('div', { class: `tile ${tone || ''}` }, el('div', { class: 'tile-label', text: label }), el('div', { class: 'tile-value', text: value }), sub ? el('div', { class: 'tile-sub', text: sub }) : null);
  }
  const matchTone = (r) => (r === null ? '' : r >= 0.999 ? 'good' : r >= 0.99 ? 'warn' : 'bad');
  const slowTone = (r) => (r === null ? '' : r > 1.5 ? 'bad' : r > 1.2 ? 'warn' : 'good');

  /** The ten-second answer: what differs, where, by how much, and what the judge made of it. */
  function headline(r) {
    const s = r.summary;
    const p = el('p', { class: 'headline' });
    if (!s) {
      p.append('No pairs recorded in this period.');
      return p;
    }
    const compared = s.matches + s.mismatches;
    const rate = compared ? s.mismatches / compared : null;
    const strong = (text, tone) => el('b', { class: tone || null, text });
    p.append(strong(pct(rate), rate === null ? '' : rate > 0.01 ? 'bad' : rate > 0.001 ? 'warn' : 'good'), ` of ${int(compared)} compared pairs differ`);
    const top = r.paths[0];
    if (top) p.append(', most often at ', el('code', { text: top.path }), ` (${pct(top.share)} of pairs)`);
    const p95 = ratio(s.latency.legacy.p95, s.latency.candidate.p95);
    if (p95) p.append(' · candidate p95 ', strong(`×${p95.toFixed(2)}`, slowTone(p95)), ` legacy's (${ms(s.latency.candidate.p95)} vs ${ms(s.latency.legacy.p95)})`);
    if (s.candidateErrors || s.legacyErrors) p.append(' · errors ', strong(`${int(s.candidateErrors)}`, s.candidateErrors > s.legacyErrors ? 'bad' : ''), ` candidate vs ${int(s.legacyErrors)} legacy`);
    if (r.current.judge && r.current.judge.verdict) p.append(' · judge ', strong(String(r.current.judge.verdict), r.current.judge.verdict === 'fail' ? 'bad' : r.current.judge.verdict === 'pass' ? 'good' : ''));
    if (r.current.rollback) p.append(` · ${r.current.rollback.state} by ${r.current.rollback.by}`);
    return p;
  }

  function tiles(r) {
    const s = r.summary || { pairs: 0, matches: 0, mismatches: 0, notCompared: 0, matchRate: null, legacyErrors: 0, candidateErrors: 0, latency: { legacy: {}, candidate: {} } };
    const L = s.latency.legacy;
    const C = s.latency.candidate;
    const c = r.current;
    const judge = c.judge ? String(c.judge.verdict ?? 'not judged yet') : 'not judged yet';
    const reasons = c.judge && Array.isArray(c.judge.reasons) ? c.judge.reasons.join('; ') : '';
    const rb = c.rollback ? `${c.rollback.state} by ${c.rollback.by}` : 'no rollback recorded';
    const q = (name) => tile(`${name} legacy → candidate`, `${ms(L[name])} → ${ms(C[name])}`, ratio(L[name], C[name]) ? `×${ratio(L[name], C[name]).toFixed(2)}` : '', slowTone(ratio(L[name], C[name])));
    return el(
      'div',
      { class: 'tiles' },
      tile('pairs', int(s.pairs)),
      tile('match', pct(s.matchRate), `${int(s.mismatches)} mismatches`, matchTone(s.matchRate)),
      tile('not compared', int(s.notCompared)),
      tile('errors legacy / candidate', `${int(s.legacyErrors)} / ${int(s.candidateErrors)}`, '', s.candidateErrors > s.legacyErrors ? 'bad' : ''),
      q('p50'),
      q('p95'),
      q('p99'),
      tile('live / shadow', `${c.livePercent ?? '–'}% / ${c.shadowPercent ?? '–'}%`, c.source === 'live' ? 'from the flags now' : 'as last recorded'),
      tile('judge', judge, reasons, judge === 'fail' ? 'bad' : judge === 'pass' ? 'good' : ''),
      tile('rollback', rb, c.rollback ? `${time(c.rollback.at)}: ${c.rollback.reason}` : '', c.rollback && c.rollback.state === 'rolled-back' ? 'bad' : ''),
    );
  }

  function chartBox(title, note, points) {
    const box = el('div', { class: 'chart', 'data-points': points });
    return { card: el('div', { class: 'card chart-card' }, el('h3', { text: title }), note ? el('p', { class: 'note', text: note }) : null, box), box };
  }
  const width = (box) => Math.max(320, (box.parentElement.clientWidth || 600) - 24);
  const nonNull = (xs) => xs.filter((v) => v !== null && v !== undefined).length;

  function cdfChart(r) {
    const { card, box } = chartBox('Latency distribution (CDF, log axis)', 'share of pairs answered within x ms; a curve further right is slower', Math.min(nonNull(r.cdf.legacy), nonNull(r.cdf.candidate)));
    return { card, draw: () => new uPlot({ width: width(box), height: 240, scales: { x: { time: false, distr: 3, log: 10 }, y: { range: [0, 1] } }, series: [{ label: 'ms', value: (u, v) => (v === null ? '–' : `${v} ms`) }, { label: 'legacy', stroke: LEGACY, width: 2, value: (u, v) => pct(v, 1) }, { label: 'candidate', stroke: CANDIDATE, width: 2, value: (u, v) => pct(v, 1) }], axes: [{ label: 'latency (ms)' }, { values: (u, vs) => vs.map((v) => `${Math.round(v * 100)}%`) }] }, [r.cdf.ms, r.cdf.legacy, r.cdf.candidate], box) };
  }

  function latencyChart(r) {
    const s = r.series;
    const { card, box } = chartBox('Latency over time (p50 dashed, p99 solid; log axis)', null, nonNull(s.legacyP99) + nonNull(s.candidateP99));
    const line = (label, stroke, dash) => ({ label, stroke, width: dash ? 1.5 : 2, dash: dash ? [6, 4] : undefined, value: (u, v) => ms(v) });
    return { card, draw: () => new uPlot({ width: width(box), height: 240, scales: { y: { distr: 3, log: 10 } }, series: [timeSeries, line('legacy p50', LEGACY, true), line('legacy p99', LEGACY), line('candidate p50', CANDIDATE, true), line('candidate p99', CANDIDATE)], axes: [timeAxis, { label: 'ms' }] }, [s.t, s.legacyP50, s.legacyP99, s.candidateP50, s.candidateP99], box) };
  }

  function markers(r) {
    const out = r.events.map((e) => ({ t: Date.parse(e.at) / 1000, kind: e.kind, text: e.summary }));
    for (const e of r.rollbacks) out.push({ t: Date.parse(e.at) / 1000, kind: e.kind, text: `${e.kind} by ${e.decidedBy}: ${e.reason}` });
    return out.sort((a, b) => a.t - b.t);
  }

  function mismatchChart(r) {
    const s = r.series;
    const marks = markers(r);
    const { card, box } = chartBox('Mismatch rate per minute, with events', null, nonNull(s.mismatchRate));
    const legend = el('div', { class: 'marks' }, Object.entries(MARK).map(([k, color]) => el('span', { class: 'mark' }, el('i', { style: null, 'data-color': color }), k)));
    card.append(legend);
    const markerPlugin = {
      hooks: {
        draw: (u) => {
          const ctx = u.ctx;
          const { top, height } = u.bbox;
          ctx.save();
          for (const m of marks) {
            const x = u.valToPos(m.t, 'x', true);
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
            ctx.strokeStyle = MARK[m.kind] || '#555';
            ctx.lineWidth = 2 * (window.devicePixelRatio || 1);
            ctx.setLineDash(m.kind === 'flag-change' ? [4, 3] : []);
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
          }
          ctx.restore();
        },
      },
    };
    const xs = s.t.length ? s.t : [];
    return {
      card,
      draw: () => {
        for (const i of legend.querySelectorAll('i')) i.style.background = i.getAttribute('data-color');
        return new uPlot({ width: width(box), height: 220, plugins: [markerPlugin], scales: { y: { range: (u, min, max) => [0, Math.max(0.01, max * 1.1)] } }, series: [timeSeries, { label: 'mismatch rate', stroke: BAD, fill: 'rgba(198,40,40,0.12)', width: 2, value: (u, v) => pct(v) }], axes: [timeAxis, { values: (u, vs) => vs.map((v) => pct(v, 1)) }] }, [xs, s.mismatchRate], box);
      },
    };
  }

  function table(id, columns, rows, opts) {
    const state = (sort[id] = sort[id] || { col: opts.sortCol, desc: true });
    const filterText = (filters[id] || '').toLowerCase();
    const body = el('tbody');
    const fill = () => {
      body.replaceChildren();
      const f = (filters[id] || '').toLowerCase();
      const col = columns[state.col];
      const sorted = rows.filter((row) => !f || opts.filterKey(row).toLowerCase().includes(f)).sort((a, b) => {
        const x = col.sort(a);
        const y = col.sort(b);
        return (x < y ? -1 : x > y ? 1 : 0) * (state.desc ? -1 : 1);
      });
      for (const row of sorted) body.append(el('tr', { class: opts.rowClass ? opts.rowClass(row) : null }, columns.map((c) => el('td', { class: c.class }, c.cell(row)))));
    };
    const head = el('tr', {}, columns.map((c, i) => el('th', { class: `sortable ${i === state.col ? (state.desc ? 'desc' : 'asc') : ''}`, text: c.title, onclick: () => { state.desc = state.col === i ? !state.desc : true; state.col = i; for (const [j, th] of [...head.children].entries()) th.className = `sortable ${j === state.col ? (state.desc ? 'desc' : 'asc') : ''}`; fill(); } })));
    const input = el('input', { type: 'search', placeholder: opts.placeholder, value: filterText, class: 'filter', 'aria-label': opts.placeholder, oninput: (e) => { filters[id] = e.target.value; fill(); } });
    fill();
    return el('div', {}, input, el('table', { class: 'data', id }, el('thead', {}, head), body));
  }

  function sampleFor(r, path) {
    const matching = r.samples.filter((s) => s.diffs.some((d) => d.generalized === path));
    return matching[0] || null;
  }

  function openSample(id) {
    const d = document.getElementById(id);
    if (!d) return;
    d.open = true;
    d.scrollIntoView({ block: 'start' });
  }

  function pathsTable(r) {
    if (!r.paths.length) return el('p', { class: 'empty', text: 'No differing fields in this period.' });
    const max = Math.max(...r.paths.map((p) => p.share || 0), 1e-9);
    const cols = [
      { title: 'path', sort: (p) => p.path, cell: (p) => el('code', { text: p.path }) },
      { title: 'differs in', sort: (p) => p.share || 0, class: 'num', cell: (p) => el('span', { class: 'bar-cell' }, el('span', { class: 'bar', 'data-w': Math.round(((p.share || 0) / max) * 100) }), pct(p.share)) },
      { title: 'count', sort: (p) => p.count, class: 'num', cell: (p) => int(p.count) },
      { title: 'noise (calibration)', sort: (p) => (p.noise === null ? -1 : p.noise), class: 'num', cell: (p) => (p.noise === null ? '–' : pct(p.noise)) },
      {
        title: 'example (legacy → candidate)',
        sort: (p) => p.path,
        cell: (p) => {
          const e = p.example || {};
          const what = e.kind === 'missing' ? 'missing in candidate' : e.kind === 'extra' ? 'only in candidate' : `${show(e.control)} → ${show(e.candidate)}`;
          const s = sampleFor(r, p.path);
          return el('span', {}, el('code', { text: `${e.path || ''}: ${what}` }), ' ', s ? el('a', { href: `#${sampleId(r, s)}`, class: 'to-sample', onclick: (ev) => { ev.preventDefault(); openSample(sampleId(r, s)); } , text: 'see pair' }) : el('span', { class: 'note', text: '(pair purged)' }));
        },
      },
    ];
    return table(`paths-${slug(r.route)}`, cols, r.paths, { sortCol: 1, placeholder: 'filter paths…', filterKey: (p) => p.path });
  }

  const sampleId = (r, s) => `sample-${slug(r.route)}-${s.id}`;

  function pathOf(parts) {
    let out = '';
    for (const s of parts) {
      if (typeof s === 'number') out += `[${s}]`;
      else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(s)) out += out === '' ? s : `.${s}`;
      else out += `[${JSON.stringify(s)}]`;
    }
    return out === '' ? '$' : out;
  }

  /** One side's body as lines, each with its JSON path; lines at a differing path are marked. */
  function bodyView(text, marked, side) {
    const pre = el('div', { class: `body ${side}` });
    let parsed;
    try {
      if (text === null) throw new Error('no body');
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (or cut at the sample cap): shown as text, unhighlighted.
      pre.append(el('pre', { class: 'raw', text: text === null ? '(no body kept)' : text }));
      return pre;
    }
    const line = (depth, parts, label, value, open) => {
      const path = pathOf(parts);
      const hit = marked.has(path);
      pre.append(el('div', { class: `ln${hit ? ' diff' : ''}`, 'data-path': path, title: path }, '  '.repeat(depth), label === null ? '' : el('span', { class: 'key', text: `${JSON.stringify(label)}: ` }), open !== null ? open : el('span', { class: `v ${value === null ? 'null' : typeof value}`, text: JSON.stringify(value) })));
    };
    const walk = (v, depth, parts, label, comma) => {
      if (v !== null && typeof v === 'object') {
        const arr = Array.isArray(v);
        const entries = arr ? v.map((x, i) => [i, x]) : Object.entries(v);
        line(depth, parts, label, null, arr ? '[' : '{');
        entries.forEach(([k, x], i) => walk(x, depth + 1, parts.concat([k]), arr ? null : k, i < entries.length - 1));
        pre.append(el('div', { class: 'ln' }, '  '.repeat(depth), (arr ? ']' : '}') + (comma ? ',' : '')));
      } else line(depth, parts, label, v, null);
    };
    walk(parsed, 0, [], null, false);
    return pre;
  }

  /** JSON indented by two spaces, with arrays and objects of scalars kept on one line (feature vectors stay short). */
  function pretty(v, indent) {
    if (v === null || typeof v !== 'object') return JSON.stringify(v);
    const entries = Array.isArray(v) ? v.map((x) => [null, x]) : Object.entries(v);
    const open = Array.isArray(v) ? '[' : '{';
    const close = Array.isArray(v) ? ']' : '}';
    const item = ([k, x], inner) => (k === null ? '' : `${JSON.stringify(k)}: `) + pretty(x, inner);
    if (entries.every(([, x]) => x === null || typeof x !== 'object')) {
      const flat = entries.map((e) => item(e, '')).join(', ');
      if (flat.length <= 80) return `${open}${flat}${close}`;
    }
    const inner = `${indent}  `;
    return `${open}\n${entries.map((e) => inner + item(e, inner)).join(',\n')}\n${indent}${close}`;
  }

  /** The request behind a sample, enough to replay it: method, URL as the client sent it, content type, body (pretty when JSON). */
  function requestView(s) {
    const q = s.request;
    if (!q) return el('p', { class: 'request note', text: 'Request not recorded (pair stored before the request was kept).' });
    let body = q.body;
    if (body !== null) {
      try {
        body = pretty(JSON.parse(body), '');
      } catch {
        // Not JSON, or cut at the sample cap (ends in …): shown as stored.
      }
    }
    return el(
      'div',
      { class: 'request' },
      el('div', { class: 'request-line' }, el('span', { class: 'label', text: 'request' }), el('code', { class: 'request-url', text: `${s.method || '?'} ${q.url}` }), q.contentType ? el('span', { class: 'note', text: ` content-type: ${q.contentType}` }) : null),
      body === null ? null : el('pre', { class: 'request-body', text: body }),
    );
  }

  function sampleView(r, s, first) {
    const legacyMarked = new Set(s.diffs.filter((d) => d.kind !== 'extra').map((d) => d.path));
    const candidateMarked = new Set(s.diffs.filter((d) => d.kind !== 'missing').map((d) => d.path));
    const side = (name, x) => `${name}: ${x.status ?? 'no answer'}${x.error ? ` (${x.error})` : ''}, ${ms(x.latencyMs)}`;
    return el(
      'details',
      { class: 'sample', id: sampleId(r, s), open: first ? 'open' : null },
      el('summary', {}, el('code', { text: `${s.method || ''} ${s.request ? s.request.url : ''}` }), ` request ${s.requestId || '?'}`, ` at ${time(s.at)} — ${s.diffs.length} difference${s.diffs.length === 1 ? '' : 's'}: `, el('code', { text: s.diffs.slice(0, 4).map((d) => d.path).join(', ') + (s.diffs.length > 4 ? ', …' : '') })),
      requestView(s),
      el('ul', { class: 'diffs' }, s.diffs.map((d) => el('li', {}, el('code', { text: d.path }), ` ${d.kind}: `, el('code', { text: d.kind === 'missing' ? `${show(d.control)} → (missing)` : d.kind === 'extra' ? `(absent) → ${show(d.candidate)}` : `${show(d.control)} → ${show(d.candidate)}` })))),
      el('div', { class: 'side-by-side' }, el('div', {}, el('h4', { class: 'legacy', text: side('legacy', s.legacy) }), bodyView(s.legacyBody, legacyMarked, 'legacy')), el('div', {}, el('h4', { class: 'candidate', text: side('candidate', s.candidate) }), bodyView(s.candidateBody, candidateMarked, 'candidate'))),
    );
  }

  function mlSection(r) {
    const models = r.summary ? r.summary.models : [];
    if (!models.length && !r.labels.length) return null;
    const rows = models.map((m) => el('tr', {}, el('td', { text: `${m.legacyVersion || '?'} → ${m.candidateVersion || '?'}` }), el('td', { class: 'num', text: int(m.pairs) }), el('td', { class: 'num', text: pct(m.labelAgreement) }), el('td', { class: 'num', text: m.meanConfidenceDelta === null ? '–' : m.meanConfidenceDelta.toPrecision(2) }), el('td', { class: 'num', text: m.maxConfidenceDelta === null ? '–' : m.maxConfidenceDelta.toPrecision(2) }), el('td', { class: 'num', text: pct(m.flaggedAgreement) }), el('td', { class: 'num', text: pct(m.driftAgreement) })));
    const parts = [el('table', { class: 'data' }, el('thead', {}, el('tr', {}, ['model versions (legacy → candidate)', 'pairs', 'label agreement', 'mean |Δ confidence|', 'max |Δ confidence|', 'flagged-set agreement', 'drift agreement'].map((t) => el('th', { text: t })))), el('tbody', {}, rows))];
    if (r.labels.length) {
      const ls = [...new Set(r.labels.flatMap((l) => [l.legacy, l.candidate]))].sort();
      const n = (a, b) => r.labels.filter((l) => l.legacy === a && l.candidate === b).reduce((x, l) => x + l.count, 0);
      parts.push(el('h4', { text: 'Confusion matrix: legacy label (rows) × candidate label (columns)' }), el('table', { class: 'data matrix' }, el('thead', {}, el('tr', {}, el('th', { text: 'legacy \\ candidate' }), ls.map((l) => el('th', { text: l })))), el('tbody', {}, ls.map((a) => el('tr', {}, el('th', { text: a }), ls.map((b) => el('td', { class: `num ${a === b ? 'agree' : n(a, b) ? 'disagree' : ''}`, text: int(n(a, b)) })))))));
    }
    return card('ML agreement', parts);
  }

  function evidence(e) {
    const ev = e && typeof e === 'object' ? e : null;
    if (!ev) return null;
    const crit = Array.isArray(ev.criteria) ? ev.criteria : [];
    return el('ul', { class: 'evidence' }, crit.map((c) => { const name = c.name ?? c.criterion; const result = c.result ?? c.status; const ex = Array.isArray(c.examples) && c.examples.length ? ` (e.g. ${c.examples.slice(0, 3).join(', ')})` : ''; return el('li', { class: result === 'fail' ? 'bad' : '' }, el('b', { text: `${name}: ${result}` }), ` — ${c.summary || ''}${ex}`); }), crit.length ? null : el('li', {}, el('code', { text: JSON.stringify(ev).slice(0, 400) })));
  }

  function timeline(r) {
    const items = [...r.rollbacks.map((e) => ({ at: e.at, kind: e.kind, text: `${e.kind} by ${e.decidedBy}: ${e.reason}`, detail: e.evidence })), ...r.events.map((e) => ({ at: e.at, kind: e.kind, text: `${e.summary} (${e.actor})`, detail: e.kind === 'judge-decision' ? e.detail : null }))].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    if (!items.length) return card('Rollbacks and decisions', [el('p', { class: 'empty', text: 'No rollback, resume, judge decision or flag change in this period.' })]);
    return card('Rollbacks and decisions', [el('ol', { class: 'timeline' }, items.slice(0, 100).map((i) => el('li', { class: `ev ${i.kind}` }, el('span', { class: 'when', text: time(i.at) }), el('span', { class: 'kind', 'data-color': MARK[i.kind] || '#555', text: i.kind }), el('span', { text: i.text }), evidence(i.detail))))]);
  }

  function triggers(r) {
    return card('Migration triggers (original strategy)', [el('table', { class: 'data' }, el('thead', {}, el('tr', {}, ['trigger', 'measured', 'threshold', 'state', 'how'].map((t) => el('th', { text: t })))), el('tbody', {}, r.triggers.map((t) => el('tr', { class: 'trigger' }, el('td', { text: t.name }), el('td', { class: 'num', text: t.value === null ? 'unknown' : `${t.value} ${t.unit}` }), el('td', { class: 'num', text: `${t.comparison} ${t.threshold} ${t.unit}` }), el('td', { class: t.met === null ? '' : t.met ? 'met' : 'not-met', text: t.met === null ? 'unknown' : t.met ? 'met' : 'not met' }), el('td', { class: 'note', text: t.measure })))))]);
  }

  function card(title, children) {
    return el('section', { class: 'card' }, el('h3', { text: title }), children);
  }

  function routeSection(r) {
    const charts = [cdfChart(r), latencyChart(r), mismatchChart(r)];
    const samples = r.samples.length ? r.samples.map((s, i) => sampleView(r, s, i === 0)) : [el('p', { class: 'empty', text: 'No mismatching pair in this period.' })];
    const section = el(
      'section',
      { class: 'route', id: `route-${slug(r.route)}` },
      el('h2', {}, r.route),
      headline(r),
      tiles(r),
      el('div', { class: 'charts' }, charts.map((c) => c.card)),
      card('Differing fields', [pathsTable(r)]),
      card('Sample mismatches (legacy left, candidate right; differences highlighted)', samples),
      mlSection(r),
      timeline(r),
      triggers(r),
    );
    return { section, charts };
  }

  function overview() {
    if (data.routes.length < 2) return null;
    return card('Routes', [el('table', { class: 'data' }, el('thead', {}, el('tr', {}, ['route', 'pairs', 'match', 'p95 legacy → candidate', 'judge', 'rollback', 'triggers met'].map((t) => el('th', { text: t })))), el('tbody', {}, data.routes.map((r) => { const s = r.summary; return el('tr', {}, el('td', {}, el('a', { href: data.live ? `/report/${encodeURIComponent(r.route)}` : `#route-${slug(r.route)}`, text: r.route })), el('td', { class: 'num', text: int(s ? s.pairs : 0) }), el('td', { class: `num ${matchTone(s ? s.matchRate : null)}`, text: pct(s ? s.matchRate : null) }), el('td', { class: 'num', text: s ? `${ms(s.latency.legacy.p95)} → ${ms(s.latency.candidate.p95)}` : '–' }), el('td', { text: r.current.judge ? String(r.current.judge.verdict ?? '–') : '–' }), el('td', { text: r.current.rollback ? r.current.rollback.state : '–' }), el('td', { class: 'num', text: `${r.triggers.filter((t) => t.met).length} of ${r.triggers.length}` })); })))]);
  }

  function render() {
    const keepScroll = window.scrollY;
    const openIds = [...document.querySelectorAll('details[open]')].map((d) => d.id);
    const all = data.routes.map(routeSection);
    document.getElementById('generated').textContent = `generated ${time(data.generatedAt)} · since ${time(data.since)}${data.live ? ' · refreshed every 15 s' : ''}`;
    app.replaceChildren(...[overview(), ...all.map((a) => a.section)].filter(Boolean));
    if (!data.routes.length) app.append(el('p', { class: 'empty', text: 'No route with a candidate and no recorded pairs.' }));
    for (const bar of app.querySelectorAll('.bar')) bar.style.width = `${bar.getAttribute('data-w')}%`;
    for (const k of app.querySelectorAll('.kind')) k.style.borderColor = k.getAttribute('data-color');
    for (const a of all) for (const c of a.charts) c.draw();
    if (openIds.length) for (const d of app.querySelectorAll('details')) d.open = openIds.includes(d.id);
    window.scrollTo(0, keepScroll);
    document.body.setAttribute('data-rendered', String(Date.now()));
  }

  render();
  const refresh = dataEl.getAttribute('data-refresh');
  if (refresh) {
    window.setInterval(() => {
      fetch(refresh, { credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then((res) => {
          if (res.status === 401) location.reload();
          return res.ok ? res.json() : null;
        })
        .then((next) => {
          if (next) {
            data = next;
            render();
          }
        })
        .catch(() => undefined);
    }, 15_000);
  }
})();
