import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/run-cli.js';

/** The import rules of docs/ARCHITECTURE.md, as `npm run lint:imports` enforces them. */
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');

function cruise(cwd: string): { status: number | null; output: string } {
  const run = spawnSync(DEPCRUISE, ['--config', CONFIG, '--output-type', 'err', 'shared', 'agent', 'collector', 'cli'], { cwd, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('import rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dw-imports-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A tiny tree with one file per path; `imports` are relative specifiers. */
  function tree(files: Record<string, string[]>): string {
    const root = mkdtempSync(join(dir, 'tree-'));
    for (const top of ['shared', 'agent', 'collector', 'cli']) mkdirSync(join(root, top), { recursive: true });
    writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', allowJs: true } }));
    for (const [path, imports] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), `${imports.map((s, i) => `import { x${i} } from '${s}';`).join('\n')}\nexport const x = 1;\n`);
    }
    return root;
  }

  it('holds on the product tree', () => {
    const { status, output } = cruise(ROOT);
    expect(output).toContain('no dependency violations found');
    expect(status).toBe(0);
  });

  it('fails an upward arrow between layers, naming both files', () => {
    const { status, output } = cruise(tree({
      'shared/platform/config/a.ts': ['../../pipeline/egress/b.js'],
      'shared/pipeline/egress/b.ts': [],
      'shared/core/drift/c.ts': ['../../offline/baseline/d.js'],
      'shared/offline/baseline/d.ts': ['../../pipeline/state/e.js'],
      'shared/pipeline/state/e.ts': [],
    }));
    expect(status).not.toBe(0);
    expect(output).toContain('layer-platform: shared/platform/config/a.ts → shared/pipeline/egress/b.ts');
    expect(output).toContain('layer-core: shared/core/drift/c.ts → shared/offline/baseline/d.ts');
    expect(output).toContain('layer-offline: shared/offline/baseline/d.ts → shared/pipeline/state/e.ts');
  });

  it('fails a pipeline stage that imports a later one: the door never knows a sink, sinks never see the store', () => {
    const { status, output } = cruise(tree({
      'shared/pipeline/egress/door.ts': ['../sinks/sink.js'],
      'shared/pipeline/sinks/sink.ts': ['../state/store.js'],
      'shared/pipeline/state/store.ts': [],
      'shared/pipeline/windows/closer.ts': ['../shipping/shipper.js'],
      'shared/pipeline/shipping/shipper.ts': [],
    }));
    expect(status).not.toBe(0);
    expect(output).toContain('pipeline-egress: shared/pipeline/egress/door.ts → shared/pipeline/sinks/sink.ts');
    expect(output).toContain('pipeline-windows: shared/pipeline/windows/closer.ts → shared/pipeline/shipping/shipper.ts');
    expect(output).toContain('sinks-without-store: shared/pipeline/sinks/sink.ts → shared/pipeline/state/store.ts');
  });

  it('fails a source that reaches into the agent or the windows, and a cycle', () => {
    const { status, output } = cruise(tree({
      'agent/sources/api.ts': ['../agent.js', '../../shared/pipeline/windows/w.js'],
      'agent/agent.ts': ['./sources/api.js'],
      'shared/pipeline/windows/w.ts': [],
    }));
    expect(status).not.toBe(0);
    expect(output).toContain('sources-upstream: agent/sources/api.ts → agent/agent.ts');
    expect(output).toContain('sources-upstream: agent/sources/api.ts → shared/pipeline/windows/w.ts');
    expect(output).toContain('no-circular');
  });

  it('keeps the collector-only store out of the agent and the shared runtime', () => {
    const { status, output } = cruise(tree({
      'agent/agent.ts': ['../shared/pipeline/state/received-store.js'],
      'shared/pipeline/runtime/r.ts': ['../state/received-store.js'],
      'collector/collector.ts': ['../shared/pipeline/state/received-store.js'],
      'shared/pipeline/state/received-store.ts': [],
    }));
    expect(status).not.toBe(0);
    expect(output).toContain('agent-without-collector-store: agent/agent.ts → shared/pipeline/state/received-store.ts');
    expect(output).toContain('agent-without-collector-store: shared/pipeline/runtime/r.ts → shared/pipeline/state/received-store.ts');
    expect(output).not.toContain('collector/collector.ts →');
  });

  it('lets downward arrows through', () => {
    const { status, output } = cruise(tree({
      'cli/main.ts': ['../agent/agent.js', '../shared/offline/baseline/b.js'],
      'agent/agent.ts': ['../shared/pipeline/runtime/r.js'],
      'shared/pipeline/runtime/r.ts': ['../shipping/s.js', '../windows/w.js', '../../core/drift/d.js'],
      'shared/pipeline/shipping/s.ts': ['../sinks/k.js'],
      'shared/pipeline/windows/w.ts': ['../state/t.js'],
      'shared/pipeline/sinks/k.ts': ['../egress/e.js', '../records/o.js'],
      'shared/pipeline/egress/e.ts': ['../state/t.js'],
      'shared/pipeline/state/t.ts': ['../records/o.js'],
      'shared/pipeline/records/o.ts': ['../../core/drift/d.js'],
      'shared/offline/baseline/b.ts': ['../../core/drift/d.js'],
      'shared/core/drift/d.ts': ['../../platform/errors.js'],
      'shared/platform/errors.ts': [],
    }));
    expect(output).toContain('no dependency violations found');
    expect(status).toBe(0);
  });
});
