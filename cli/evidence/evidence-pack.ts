import type { AuditEntry, AuditVerdict } from '../../shared/pipeline/state/audit-log.js';
import type { HistoryWindow } from '../../shared/pipeline/state/window-history-store.js';

/** What never leaves the host, whatever the config: the egress contract (docs/security.md). */
export const NEVER_LEAVES = [
  'raw feature values, prediction values and probability vectors',
  'category strings (categories travel as indices into the baseline)',
  'identifiers, event ids and free text; prompts, completions, token strings and tool arguments',
  'embedding vectors',
  'per-feature histograms of windows under the minimum count (privacy.minCount)',
];

/** One model's record over the period. */
export interface ModelEvidence {
  model: string;
  windows: number;
  events: number;
  drifted: number;
  notJudged: number;
  retrainingRecommended: number;
  firstDrift: string | null;
  lastDrift: string | null;
  /** The baselines that judged its windows (SHA-256 of the profile), with the first and last window each judged. */
  baselines: { sha256: string; from: string; to: string; windows: number }[];
  /** The features flagged in the period, with how many windows each. */
  flaggedFeatures: { name: string; windows: number }[];
}

/** The evidence for one period, before it is signed. */
export interface EvidencePack {
  kind: 'driftwatch.evidence';
  version: 1;
  period: { since: string; until: string };
  generatedAt: string;
  host: string;
  stateFile: string;
  config: { file: string; sha256: string } | null;
  models: ModelEvidence[];
  /** Windows in which the alarm conditions held: drift, and retraining recommended (M of N). */
  alarmConditions: { model: string; end: string; drift: boolean; retrainingRecommended: boolean; flagged: string[] }[];
  audit: {
    verified: boolean;
    detail: string;
    headHash: string | null;
    entriesTotal: number | null;
    signedHead: { seq: number; at: string } | null;
  };
  /** What left the host in the period, per destination, from the audit log. */
  egress: { destination: string; requests: number; bytes: number; first: string; last: string }[];
  /** Windows dropped unsent (an outage longer than the outbox allows), over the state file's life. */
  droppedWindows: Record<string, { windows: number; events: number }>;
  neverLeaves: string[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

function modelEvidence(model: string, windows: readonly HistoryWindow[]): ModelEvidence {
  const drifted = windows.filter((w) => w.report.score.drift);
  const baselines = new Map<string, { sha256: string; from: string; to: string; windows: number }>();
  const flagged = new Map<string, number>();
  for (const w of windows) {
    const b = baselines.get(w.baseline);
    if (b === undefined) baselines.set(w.baseline, { sha256: w.baseline, from: iso(w.startMs), to: iso(w.endMs), windows: 1 });
    else {
      b.to = iso(w.endMs);
      b.windows++;
    }
    for (const f of w.report.score.features) if (f.status === 'drift') flagged.set(f.name, (flagged.get(f.name) ?? 0) + 1);
  }
  return {
    model, windows: windows.length, events: windows.reduce((n, w) => n + w.report.events, 0), drifted: drifted.length,
    notJudged: windows.filter((w) => !w.report.score.features.some((f) => f.status !== 'insufficient_data')).length,
    retrainingRecommended: windows.filter((w) => w.report.retraining.recommended).length,
    firstDrift: drifted.length > 0 ? iso(drifted[0]!.endMs) : null, lastDrift: drifted.length > 0 ? iso(drifted[drifted.length - 1]!.endMs) : null,
    baselines: [...baselines.values()],
    flaggedFeatures: [...flagged].map(([name, n]) => ({ name, windows: n })).sort((a, b) => b.windows - a.windows || a.name.localeCompare(b.name)),
  };
}

/** What left, per destination. */
function egressOf(entries: readonly AuditEntry[]): EvidencePack['egress'] {
  const by = new Map<string, EvidencePack['egress'][number]>();
  for (const e of entries) {
    const d = by.get(e.destination);
    if (d === undefined) by.set(e.destination, { destination: e.destination, requests: 1, bytes: e.bytes, first: iso(e.atMs), last: iso(e.atMs) });
    else {
      d.requests++;
      d.bytes += e.bytes;
      d.last = iso(e.atMs);
    }
  }
  return [...by.values()];
}

/** The audit log's verdict, in the pack's words. */
function auditOf(verdict: AuditVerdict): EvidencePack['audit'] {
  if (!verdict.ok) return { verified: false, detail: `BROKEN at entry ${verdict.seq}: ${verdict.problem}`, headHash: null, entriesTotal: null, signedHead: null };
  const signed = verdict.signedHead;
  return {
    verified: true,
    detail: `${verdict.entries} entries chained${verdict.checkpoint === undefined ? ' from the first' : ` from the checkpoint after entry ${verdict.checkpoint.throughSeq}`}${signed === undefined ? '' : '; every signed head and checkpoint verified'}`,
    headHash: verdict.headHash, entriesTotal: verdict.entries, signedHead: signed === undefined ? null : { seq: signed.seq, at: iso(signed.atMs) },
  };
}

/** The evidence pack of a period, from what the state file holds. Pure. */
export function evidencePack(input: {
  sinceMs: number; untilMs: number; nowMs: number; host: string; stateFile: string; config: EvidencePack['config'];
  windows: readonly HistoryWindow[]; auditEntries: readonly AuditEntry[]; auditVerdict: AuditVerdict; dropped: Record<string, { windows: number; events: number }>;
}): EvidencePack {
  const models = [...new Set(input.windows.map((w) => w.model))].sort();
  return {
    kind: 'driftwatch.evidence', version: 1,
    period: { since: iso(input.sinceMs), until: iso(input.untilMs) }, generatedAt: iso(input.nowMs), host: input.host, stateFile: input.stateFile, config: input.config,
    models: models.map((m) => modelEvidence(m, input.windows.filter((w) => w.model === m))),
    alarmConditions: input.windows.filter((w) => w.report.score.drift || w.report.retraining.recommended).map((w) => ({
      model: w.model, end: iso(w.endMs), drift: w.report.score.drift, retrainingRecommended: w.report.retraining.recommended,
      flagged: w.report.score.features.filter((f) => f.status === 'drift').map((f) => f.name),
    })),
    audit: auditOf(input.auditVerdict),
    egress: egressOf(input.auditEntries.filter((e) => e.atMs >= input.sinceMs && e.atMs < input.untilMs)),
    droppedWindows: input.dropped,
    neverLeaves: NEVER_LEAVES,
  };
}
