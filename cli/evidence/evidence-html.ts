import type { SignedEvidence } from './evidence-signature.js';

const esc = (s: string | number): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const table = (head: string[], rows: (string | number)[][]): string => rows.length === 0 ? '<p>None.</p>'
  : `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;

/** The evidence pack as a printable page (A4, no script, no request to anywhere): what a compliance officer files. */
export function evidenceHtml(doc: SignedEvidence, jsonFile: string): string {
  const e = doc.evidence;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>driftwatch evidence ${esc(e.period.since.slice(0, 10))} to ${esc(e.period.until.slice(0, 10))}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; color: #1b1b1b; max-width: 900px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.35em; } h2 { font-size: 1.1em; margin-top: 24px; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; margin: 6px 0; } th, td { border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }
code { font-size: 0.85em; overflow-wrap: anywhere; } .bad { color: #b00020; font-weight: 600; } .good { color: #006d4f; font-weight: 600; }
@page { size: A4; margin: 16mm; } @media print { body { max-width: none; padding: 0; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
</style></head><body>
<h1>Drift monitoring evidence, ${esc(e.period.since.slice(0, 16).replace('T', ' '))} to ${esc(e.period.until.slice(0, 16).replace('T', ' '))} UTC</h1>
<p>Host <code>${esc(e.host)}</code> · state file <code>${esc(e.stateFile)}</code> · written ${esc(e.generatedAt)} by driftwatch.
Signed (Ed25519, public key SHA-256 <code>${esc(doc.signature.publicKeySha256)}</code>) in <code>${esc(jsonFile)}</code>; check it with <code>driftwatch evidence verify ${esc(jsonFile)} --public-key KEY.pem</code>.</p>
<h2>1. Models monitored and their verdicts</h2>
${table(['model', 'windows judged', 'events', 'drifted', 'too few to judge', 'retraining recommended', 'first / last drift', 'features flagged (windows)'],
    e.models.map((m) => [m.model, m.windows, m.events, m.drifted, m.notJudged, m.retrainingRecommended, m.firstDrift === null ? '-' : `${m.firstDrift} / ${m.lastDrift ?? ''}`,
      m.flaggedFeatures.slice(0, 8).map((f) => `${f.name} (${f.windows})`).join(', ') || '-']))}
<h2>2. Alarm conditions met</h2>
<p>Windows that drifted, and those in which retraining was recommended (M of the last N windows drifted): the conditions the CloudWatch alarms page on. Whether a page went out is in CloudWatch's alarm history.</p>
${table(['model', 'window end', 'drift', 'retraining recommended', 'features flagged'], e.alarmConditions.map((a) => [a.model, a.end, a.drift ? 'yes' : 'no', a.retrainingRecommended ? 'yes' : 'no', a.flagged.join(', ')]))}
<h2>3. Baselines and configuration in force</h2>
${table(['model', 'baseline (SHA-256 of the profile)', 'judged windows from', 'to', 'windows'], e.models.flatMap((m) => m.baselines.map((b) => [m.model, b.sha256, b.from, b.to, b.windows])))}
<p>Configuration: ${e.config === null ? 'not given (--config)' : `<code>${esc(e.config.file)}</code>, SHA-256 <code>${esc(e.config.sha256)}</code>`}.</p>
<h2>4. Audit log</h2>
<p class="${e.audit.verified ? 'good' : 'bad'}">${e.audit.verified ? 'Verified' : 'NOT VERIFIED'}: ${esc(e.audit.detail)}.</p>
<p>Head hash <code>${esc(e.audit.headHash ?? '-')}</code>${e.audit.signedHead === null ? '' : `; last signed head at entry ${e.audit.signedHead.seq}, ${esc(e.audit.signedHead.at)}`}.</p>
<h2>5. What left the host in the period</h2>
${table(['destination', 'requests', 'bytes', 'first', 'last'], e.egress.map((d) => [d.destination, d.requests, d.bytes, d.first, d.last]))}
<p>Windows dropped unsent over the state file's life: ${Object.keys(e.droppedWindows).length === 0 ? 'none' : Object.entries(e.droppedWindows).map(([r, v]) => `${esc(r)}: ${v.windows} windows (${v.events} events)`).join('; ')}.</p>
<h2>6. What never leaves</h2>
<ul>${e.neverLeaves.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>
<p>Only aggregates pass the egress door, each payload checked against an allowlist and recorded in the audit log above before it is sent (docs/security.md).</p>
</body></html>
`;
}
