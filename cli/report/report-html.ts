import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ReportModel } from './report-model.js';

/** Chart.js (MIT), bundled into the page so that it works offline and from a file:// URL. */
function chartJs(): string {
  const entry = createRequire(import.meta.url).resolve('chart.js');
  return readFileSync(join(dirname(entry), 'chart.umd.min.js'), 'utf8');
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON safe inside a <script> element: no `</script>`, no `<!--`. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

/* Okabe–Ito colours (readable with every common colour-vision deficiency): baseline blue, current orange, threshold vermillion. */
const STYLE = `
:root { --base: #0072B2; --cur: #E69F00; --thr: #D55E00; --ok: #009E73; --ink: #1b1b1b; --muted: #5a5a5a; --line: #d9d9d9; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 16px; }
h1 { font-size: 1.4em; margin: 0 0 4px; } h2 { font-size: 1.15em; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.meta { color: var(--muted); font-size: 0.9em; }
.summary { font-size: 1.1em; padding: 12px 14px; border-left: 6px solid var(--ok); background: #f3f8f5; margin: 14px 0; }
.summary.drift { border-color: var(--thr); background: #fdf2ec; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 14px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; break-inside: avoid; page-break-inside: avoid; }
.card h3 { font-size: 1em; margin: 0 0 2px; overflow-wrap: anywhere; }
.badge { display: inline-block; font-size: 0.78em; font-weight: 600; padding: 1px 7px; border-radius: 9px; margin-left: 6px; color: #fff; background: var(--ok); }
.badge.drift { background: var(--thr); } .badge.missing { background: #7a3b9a; } .badge.insufficient_data { background: var(--muted); }
.facts { font-size: 0.88em; color: var(--muted); margin: 2px 0 6px; }
.why { font-size: 0.88em; margin: 4px 0 0; }
.chart { position: relative; height: 190px; } .chart.tall { height: 230px; }
.legend { font-size: 0.85em; color: var(--muted); } .legend b { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 10px; vertical-align: middle; }
table { border-collapse: collapse; font-size: 0.88em; } td, th { padding: 2px 8px; text-align: left; border-bottom: 1px solid var(--line); }
@media (max-width: 600px) { body { padding: 10px; font-size: 14px; } .grid { grid-template-columns: 1fr; } }
@media print { body { max-width: none; } .chart { height: 170px; } h2 { break-after: avoid; } }
`;

/* The page's own script: draws every chart from the embedded model, with animation off so that print and screenshots see them at once. */
const SCRIPT = `
(function () {
  var model = JSON.parse(document.getElementById('dw-model').textContent);
  var css = getComputedStyle(document.documentElement);
  var C = { base: css.getPropertyValue('--base').trim(), cur: css.getPropertyValue('--cur').trim(), thr: css.getPropertyValue('--thr').trim(), ok: css.getPropertyValue('--ok').trim() };
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.size = 11;
  function pct(v) { return (v * 100).toFixed(v < 0.1 ? 1 : 0) + '%'; }
  function short(iso) { return iso.slice(5, 16).replace('T', ' '); }
  model.features.forEach(function (f, i) {
    new Chart(document.getElementById('dist-' + i), {
      type: 'bar',
      data: { labels: f.bins.map(function (b) { return b.label; }), datasets: [
        { label: 'baseline', data: f.bins.map(function (b) { return b.baseline; }), backgroundColor: C.base },
        { label: 'current', data: f.bins.map(function (b) { return b.current; }), backgroundColor: C.cur } ] },
      options: { plugins: { legend: { display: false }, tooltip: { callbacks: { label: function (c) { return c.dataset.label + ': ' + pct(c.parsed.y); } } } },
        scales: { y: { ticks: { callback: pct } }, x: { ticks: { autoSkip: true, maxRotation: 60 } } } }
    });
    var t = document.getElementById('psi-' + i);
    if (t) new Chart(t, {
      type: 'line',
      data: { labels: f.timeline.map(function (p) { return short(p.end); }), datasets: [
        { label: 'PSI', data: f.timeline.map(function (p) { return p.psi; }), borderColor: C.cur, backgroundColor: C.cur, pointRadius: f.timeline.map(function (p) { return p.drift ? 4 : 2; }), spanGaps: true },
        { label: 'threshold', data: f.timeline.map(function (p) { return p.threshold; }), borderColor: C.thr, borderDash: [5, 4], pointRadius: 0, spanGaps: true } ] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } }
    });
  });
  var v = document.getElementById('verdicts');
  if (v) new Chart(v, {
    type: 'bar',
    data: { labels: model.verdicts.map(function (w) { return short(w.end); }), datasets: [
      { label: 'features drifted', data: model.verdicts.map(function (w) { return w.flagged; }),
        backgroundColor: model.verdicts.map(function (w) { return w.recommended ? C.thr : w.drift ? C.cur : C.ok; }) } ] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
  var a = document.getElementById('accuracy');
  if (a) new Chart(a, {
    type: 'line',
    data: { labels: model.accuracy.map(function (w) { return short(w.end); }), datasets: [
      { label: 'estimated', data: model.accuracy.map(function (w) { return w.estimated; }), borderColor: C.cur, backgroundColor: C.cur,
        pointRadius: model.accuracy.map(function (w) { return w.dropped ? 5 : 2; }) },
      { label: '95% upper', data: model.accuracy.map(function (w) { return w.upper; }), borderColor: C.cur, borderDash: [2, 3], pointRadius: 0 },
      { label: '95% lower', data: model.accuracy.map(function (w) { return w.lower; }), borderColor: C.cur, borderDash: [2, 3], pointRadius: 0 },
      { label: 'realised (labels)', data: model.accuracy.map(function (w) { return w.realised; }), borderColor: C.ok, backgroundColor: C.ok, showLine: false, pointRadius: 4 },
      { label: 'baseline', data: model.accuracy.map(function (w) { return w.reference; }), borderColor: C.thr, borderDash: [5, 4], pointRadius: 0 } ] },
    options: { plugins: { legend: { display: true, position: 'bottom' }, tooltip: { callbacks: { label: function (c) { return c.dataset.label + ': ' + pct(c.parsed.y); } } } },
      scales: { y: { ticks: { callback: pct } } } }
  });
  document.body.setAttribute('data-charts', String(Chart.instances ? Object.keys(Chart.instances).length : 0));
})();
`;

function featureCard(f: ReportModel['features'][number], i: number, history: boolean): string {
  const status = f.status === 'insufficient_data' ? 'too few' : f.status;
  const facts = f.psi === null ? 'not scored' : `PSI ${f.psi.toPrecision(3)} against a threshold of ${f.threshold?.toPrecision(3) ?? '-'} for this window's size`;
  return `<section class="card" aria-labelledby="f-${i}">
<h3 id="f-${i}">${escapeHtml(f.name)}<span class="badge ${f.status}">${escapeHtml(status)}</span></h3>
<div class="facts">${escapeHtml(f.type)}${f.role === 'input' ? '' : `, ${escapeHtml(f.role)}`} · ${escapeHtml(facts)}</div>
${f.direction === null ? '' : `<div class="why">${escapeHtml(f.direction)}</div>`}
${f.flaggedBecause === null ? '' : `<div class="why">Flagged: ${escapeHtml(f.flaggedBecause)}.</div>`}
<div class="chart"><canvas id="dist-${i}" role="img" aria-label="${escapeHtml(`${f.name}: share of each bin in the baseline and now`)}"></canvas></div>
${history ? `<div class="chart"><canvas id="psi-${i}" role="img" aria-label="${escapeHtml(`${f.name}: PSI per window against its threshold`)}"></canvas></div>` : ''}
</section>`;
}

/** The report as one self-contained HTML page: the model embedded, Chart.js inline, no request to anywhere. */
export function reportHtml(model: ReportModel): string {
  const history = model.windows > 1;
  const groups: [string, (f: ReportModel['features'][number]) => boolean][] = [
    ['Inputs, worst first', (f) => f.role === 'input'],
    ['Prediction signals', (f) => f.role === 'confidence' || f.role === 'prediction' || f.role === 'entropy'],
    ['Multivariate check', (f) => f.role === 'multivariate' || f.role === 'embedding'],
  ];
  let index = 0;
  const sections = groups.map(([title, keep]) => {
    const cards = model.features.map((f, i) => [f, i] as const).filter(([f]) => keep(f));
    if (cards.length === 0) return '';
    index += cards.length;
    return `<h2>${title}</h2>\n<div class="grid">${cards.map(([f, i]) => featureCard(f, i, history)).join('\n')}</div>`;
  }).join('\n');
  const accuracy = model.accuracy === null ? '' : `<h2>Accuracy</h2>
<p>Estimated from each window's confidences (95 % interval), the accuracy its delayed labels show so far, and the baseline's.${model.accuracy.some((w) => w.dropped) ? ` <strong>Estimated accuracy dropped</strong> in ${model.accuracy.filter((w) => w.dropped).length} window(s).` : ''}</p>
<div class="chart tall"><canvas id="accuracy" role="img" aria-label="estimated accuracy per window with its interval, realised accuracy from labels, and the baseline's accuracy"></canvas></div>`;
  const segments = model.segments === null ? '' : `<h2>Segments by ${escapeHtml(model.segments.feature)} (latest window)</h2>
<table class="segments"><thead><tr><th>segment</th><th>events</th><th>verdict</th><th>largest PSI</th><th>drifted</th></tr></thead><tbody>
${model.segments.rows.map((r) => `<tr${r.drift === true ? ' class="drift"' : ''}><td>${escapeHtml(r.segment)}</td><td>${r.events}</td><td>${r.drift === null ? 'too few' : r.drift ? 'drift' : 'ok'}</td><td>${r.maxPsi === null ? '-' : r.maxPsi.toPrecision(3)}</td><td>${escapeHtml(r.drifted.join(', '))}</td></tr>`).join('\n')}
</tbody></table>`;
  const retraining = model.retraining === null ? '' : `<p>Retraining: <strong>${model.retraining.recommended ? 'recommended' : 'not recommended'}</strong> (${model.retraining.flagged} of the last ${model.retraining.of} windows drifted).</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>driftwatch report: ${escapeHtml(model.model)}</title>
<style>${STYLE}</style></head>
<body data-features="${index}">
<header><h1>Drift report: ${escapeHtml(model.model)}</h1>
<div class="meta">${escapeHtml(model.source)} · ${model.windows} window(s), ${model.events} events, ${escapeHtml(model.from.slice(0, 16).replace('T', ' '))} to ${escapeHtml(model.to.slice(0, 16).replace('T', ' '))} UTC · written ${escapeHtml(model.generatedAt.slice(0, 16).replace('T', ' '))} UTC by driftwatch</div></header>
<p class="summary${model.drift ? ' drift' : ''}" id="summary">${escapeHtml(model.summary)}</p>
<p class="legend" aria-hidden="true"><b style="background:var(--base)"></b>baseline<b style="background:var(--cur)"></b>current (latest window)${history ? '<b style="background:var(--thr)"></b>PSI threshold' : ''}</p>
${history ? `<h2>Verdicts over time</h2>${retraining}<div class="chart tall"><canvas id="verdicts" role="img" aria-label="features drifted per window; vermillion where retraining was recommended"></canvas></div>
<p class="legend">Features drifted per window:<b style="background:var(--cur)"></b>drift<b style="background:var(--thr)"></b>drift, retraining recommended (M of the last N windows drifted); no bar: no drift.</p>` : retraining}
${accuracy}
${segments}
${sections}
<script id="dw-model" type="application/json">${scriptJson(model)}</script>
<script>${chartJs()}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
