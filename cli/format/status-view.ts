import { formatTable } from './table.js';

/** What `/v1/status` of an agent or collector says, as far as the view reads it. */
interface StatusBody {
  ready?: boolean;
  windowSeconds?: number;
  clock?: string;
  models?: {
    name: string;
    openWindows: { version: string; start: string; events: number }[];
    lastClosedWindow: { start: string; end: string; events: number; drift: boolean; retrainingRecommended: boolean;
      features: { name: string; psi: number | null; threshold: number | null; status: string }[] } | null;
  }[];
  outbox?: { sink: string; count: number; oldestAgeSeconds?: number | null; failingAttempts?: number }[];
  state?: { writable?: boolean; durability?: string; unpersistedWindows?: number };
  sources?: Record<string, unknown>;
}

/** Recent windows of one model, oldest first, as `/v1/windows` lists them. */
export interface RecentWindow {
  model: string;
  end: string;
  events: number;
  drift: boolean;
  retrainingRecommended: boolean;
}

const hhmm = (iso: string): string => iso.slice(11, 16);

/** A model's recent verdicts in one strip, oldest first: `.` no drift, `D` drift, `R` drift with retraining recommended. */
export function verdictStrip(windows: readonly RecentWindow[]): string {
  return windows.map((w) => (w.retrainingRecommended ? 'R' : w.drift ? 'D' : '.')).join('');
}

function lastWindow(m: NonNullable<StatusBody['models']>[number]): string {
  const last = m.lastClosedWindow;
  if (last === null) return 'none closed yet';
  const flagged = last.features.filter((f) => f.status === 'drift').sort((a, b) => (b.psi ?? 0) / (b.threshold ?? 1) - (a.psi ?? 0) / (a.threshold ?? 1));
  const what = flagged.length === 0 ? 'no drift' : `DRIFT in ${flagged.length} of ${last.features.length}: ${flagged.slice(0, 3).map((f) => f.name).join(', ')}${flagged.length > 3 ? ', ...' : ''}`;
  return `${hhmm(last.start)}-${hhmm(last.end)} ${last.events} events, ${what}`;
}

function outboxLine(o: NonNullable<StatusBody['outbox']>[number]): string {
  const age = o.oldestAgeSeconds === undefined || o.oldestAgeSeconds === null ? '' : `, oldest ${Math.round(o.oldestAgeSeconds)} s`;
  const failing = (o.failingAttempts ?? 0) > 0 ? `, FAILING (${o.failingAttempts} attempts)` : ', sending';
  return `${o.sink}: ${o.count} waiting${age}${o.count > 0 || (o.failingAttempts ?? 0) > 0 ? failing : ''}`;
}

/**
 * The terminal view of a running agent or collector: one line for the process, a table of its
 * models (the open window's count, the last window's verdict, the recent verdicts, retraining),
 * the outbox per sink, the state file, and what the sources read. Pure: text in, text out.
 */
export function statusView(url: string, body: unknown, recent: ReadonlyMap<string, RecentWindow[]> | undefined): string {
  const s = body as StatusBody;
  const lines = [`driftwatch at ${url}: ${s.ready === true ? 'ready' : 'NOT READY'}${s.windowSeconds === undefined ? '' : `, ${s.windowSeconds} s windows`}${s.clock === undefined ? '' : ` (${s.clock} clock)`}`, ''];
  const rows = (s.models ?? []).map((m) => {
    const open = m.openWindows.reduce((n, w) => n + w.events, 0);
    const strip = recent?.get(m.name);
    const retraining = strip !== undefined && strip.length > 0 ? strip[strip.length - 1]!.retrainingRecommended : m.lastClosedWindow?.retrainingRecommended === true;
    return [m.name, String(open), lastWindow(m), strip === undefined ? '-' : verdictStrip(strip) || '(none kept)', retraining ? 'RECOMMENDED' : 'no'];
  });
  lines.push(formatTable(['MODEL', 'OPEN', 'LAST WINDOW', 'RECENT (old to new)', 'RETRAINING'], rows, [false, true]));
  lines.push('', `outbox: ${(s.outbox ?? []).map(outboxLine).join('; ') || 'no sinks'}`);
  if (s.state !== undefined) {
    lines.push(`state file: ${s.state.writable === false ? 'NOT WRITABLE' : 'writable'}${s.state.durability === undefined ? '' : `, durability ${s.state.durability}`}${(s.state.unpersistedWindows ?? 0) > 0 ? `, ${s.state.unpersistedWindows} closed windows held in memory` : ''}`);
  }
  for (const [name, v] of Object.entries(s.sources ?? {})) lines.push(`source ${name}: ${JSON.stringify(v)}`);
  if (recent !== undefined) lines.push('', 'recent: . no drift, D drift, R drift and retraining recommended');
  return `${lines.join('\n')}\n`;
}
