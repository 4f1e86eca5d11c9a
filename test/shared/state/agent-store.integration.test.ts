import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WindowReport } from '../../../shared/drift/window-report.js';
import { AgentStore } from '../../../shared/state/agent-store.js';

const path = (): string => join(mkdtempSync(join(tmpdir(), 'dw-store-')), 'state', 'agent.db');
const report = (startMs: number): WindowReport => ({
  model: 'm', version: '', startMs, endMs: startMs + 60_000, events: 5, rejected: {},
  score: { n: 5, drift: false, featuresTested: 0, alphaPerFeature: 0.01, features: [] }, counts: [[1, 2]], retraining: { recommended: false, flagged: 0, of: 5 },
});
const shape = { layout: 'L1', bins: [3, 2] };

describe('AgentStore', () => {
  it('restores checkpointed open windows from the file after reopening', () => {
    const file = path();
    const a = AgentStore.open(file);
    a.checkpoint([{ model: 'm', version: 'v1', startMs: 0, layout: 'L1', rows: 7, rejected: { late_event: 1 }, counts: [Float64Array.of(1, 2, 4), Float64Array.of(3, 4)] }]);
    a.checkpoint([{ model: 'm', version: 'v1', startMs: 0, layout: 'L1', rows: 8, rejected: {}, counts: [Float64Array.of(1, 3, 4), Float64Array.of(3, 5)] }]);
    a.close();
    const b = AgentStore.open(file);
    const { windows, discarded } = b.loadOpenWindows(() => shape);
    expect(discarded).toEqual([]);
    expect(windows).toHaveLength(1);
    expect(windows[0]!.rows).toBe(8);
    expect(windows[0]!.counts.map((c) => Array.from(c))).toEqual([[1, 3, 4], [3, 5]]);
    b.close();
  });

  it('discards checkpoints whose baseline layout changed', () => {
    const s = AgentStore.open(path());
    s.checkpoint([{ model: 'm', version: '', startMs: 0, layout: 'OLD', rows: 3, rejected: {}, counts: [Float64Array.of(1, 1, 1), Float64Array.of(1, 2)] }]);
    const { windows, discarded } = s.loadOpenWindows(() => shape);
    expect(windows).toEqual([]);
    expect(discarded).toEqual([{ model: 'm', version: '', startMs: 0, rows: 3 }]);
    expect(s.loadOpenWindows(() => shape).discarded).toEqual([]);
    s.close();
  });

  it('closes a window atomically: outbox row in, checkpoint out, history saved', () => {
    const s = AgentStore.open(path());
    s.checkpoint([{ model: 'm', version: '', startMs: 0, layout: 'L1', rows: 5, rejected: {}, counts: [Float64Array.of(1, 2, 2), Float64Array.of(1, 4)] }]);
    const id = s.closeWindow(report(0), [true, false], 123);
    expect(s.loadOpenWindows(() => shape).windows).toEqual([]);
    expect(s.pending('cloudwatch', 10)).toEqual([{ id, closedAtMs: 123, report: report(0) }]);
    expect(s.loadHistory().get('m\u0000')).toEqual([true, false]);
    s.close();
  });

  it('keeps one cursor per sink and prunes what every sink has sent', () => {
    const s = AgentStore.open(path());
    const ids = [0, 1, 2].map((i) => s.closeWindow(report(i * 60_000), [], 1000 + i));
    s.markSent('cloudwatch', ids[1]!);
    expect(s.pending('cloudwatch', 10).map((e) => e.id)).toEqual([ids[2]]);
    expect(s.backlog('cloudwatch')).toEqual({ count: 1, oldestClosedAtMs: 1002 });
    expect(s.backlog('file')).toEqual({ count: 3, oldestClosedAtMs: 1000 });
    expect(s.prune(['cloudwatch', 'file'])).toBe(0);
    s.markSent('file', ids[0]!);
    expect(s.prune(['cloudwatch', 'file'])).toBe(1);
    expect(s.pending('file', 10).map((e) => e.id)).toEqual([ids[1], ids[2]]);
    s.close();
  });

  it('dead-letters an entry and moves the sink past it', () => {
    const s = AgentStore.open(path());
    const id = s.closeWindow(report(0), [], 1);
    s.deadLetter('cloudwatch', s.pending('cloudwatch', 1)[0]!, 'InvalidParameterValue', 5);
    expect(s.pending('cloudwatch', 10)).toEqual([]);
    expect(s.deadLetters('cloudwatch')).toEqual([{ outboxId: id, atMs: 5, error: 'InvalidParameterValue' }]);
    s.close();
  });
});
