import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, type CliResult } from '../helpers/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dw-cli-'));
const examples = join(ROOT, 'examples');
const baseline = join(dir, 'baseline.json');
const file = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

/** An error run: exit 2, one `driftwatch: error:` line, no stack trace. */
function expectCleanError(result: CliResult, ...fragments: (string | RegExp)[]): void {
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(/^driftwatch: error: /m);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  for (const f of fragments) expect(result.stderr).toMatch(f);
}

beforeAll(() => {
  const built = runCli(['baseline', 'build', '--input', join(examples, 'loans-train.csv'), '--out', baseline,
    '--exclude', 'application_id', '--confidence-column', 'confidence', '--prediction-column', 'prediction']);
  expect(built.stderr).toContain('wrote');
  expect(built.status).toBe(0);
});

describe('driftwatch baseline', () => {
  it('builds a profile of the example data with its row count', () => {
    const profile = JSON.parse(readFileSync(baseline, 'utf8')) as { rowCount: number; features: { name: string; role: string }[] };
    expect(profile.rowCount).toBe(5000);
    expect(profile.features.map((f) => f.name)).toEqual([
      'age', 'income', 'credit_utilization', 'num_accounts', 'region', 'channel', 'tenure_months', 'confidence', 'prediction',
      'multivariate.reconstruction_error',
    ]);
  });

  it('prints no progress bar when stderr is not a terminal', () => {
    const result = runCli(['baseline', 'build', '--input', join(examples, 'loans-stable.csv'), '--out', join(dir, 'b2.json'), '--exclude', 'application_id']);
    expect(result.status).toBe(0);
    expect(result.stderr).not.toContain('\r');
  });

  it('inspects a profile readably', () => {
    const result = runCli(['baseline', 'inspect', baseline, '--bins']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('5000 rows, 10 features');
    expect(result.stdout).toMatch(/projection multivariate \(tabular, 7 input features\): \d principal components explain/);
    expect(result.stdout).toMatch(/region\s+input\s+categorical/);
    expect(result.stdout).toContain('(missing)');
  });
});

describe('driftwatch baseline build: names are data (issue 16, findings 1 and 2)', () => {
  /** 200 rows of an SSN-like code, an amount, a person, an id and a region; `first` is the first line. */
  const csv = (first: string): string => {
    const lines = [first];
    for (let i = 0; i < 200; i++) {
      lines.push(`${100 + (i * 7) % 900}-${10 + i % 90}-${1000 + i * 37},${(i * 13.7) % 500},Person ${i},C-${4000 + i},${['north', 'south', 'east'][i % 3]}`);
    }
    return `${lines.join('\n')}\n`;
  };
  const build = (input: string, ...flags: string[]): CliResult => runCli(['baseline', 'build', '--input', input, '--out', join(dir, 'names.json'), ...flags]);
  const featureNames = (): string[] => (JSON.parse(readFileSync(join(dir, 'names.json'), 'utf8')) as { features: { name: string }[] }).features.map((f) => f.name);

  it('refuses a CSV without a header row, whose first row would become the feature names', () => {
    const headerless = file('headerless.csv', csv('078-05-1120,123456.789012,Jane Roe,C-7781-0042,north'));
    expectCleanError(build(headerless), "column '078-05-1120' cannot be a feature name: it looks like a social security number", /--no-header-row --column-names/,
      /\[DW_ERR_BASELINE_NAME\]/);
  });

  it('refuses a header whose cells are a number, a person with a space, an e-mail, a date or a phone number', () => {
    for (const [header, words] of [
      ['123456.789012', 'looks like a number'],
      ['Jane Roe', 'outside the safe name pattern'],
      ['patient_john.doe@example.com', 'looks like an e-mail address'],
      ['2026-01-05', 'looks like a date'],
      ['+1 555 123 4567', 'looks like a phone number'],
    ] as const) {
      expectCleanError(build(file('header.csv', csv(`ssn,amount,holder,customer_id,${header}`)), '--exclude', 'ssn,holder,customer_id'), words, /\[DW_ERR_BASELINE_NAME\]/);
    }
  });

  it('refuses a header of safe-looking names when each cell parses like the values below it', () => {
    const rows = Array.from({ length: 60 }, (_, i) => `${['red', 'blue', 'green'][i % 3]},${['small', 'large'][i % 2]},${i % 4 === 0 ? 'yes' : 'no'}`);
    const input = file('text.csv', `red,small,yes\n${rows.join('\n')}\n`);
    expectCleanError(build(input), 'the first row looks like data, not a header', "'red', 'small', 'yes'");
    expect(build(file('text-header.csv', `colour,size,approved\n${rows.join('\n')}\n`)).status).toBe(0);
  });

  it('refuses a column of nearly all distinct values (an id) as a categorical feature, naming it and --exclude', () => {
    const input = file('ids.csv', csv('ssn,amount,holder,customer_id,region'));
    expectCleanError(build(input), "column 'ssn' looks like an identifier", '--exclude ssn', /\[DW_ERR_BASELINE_IDENTIFIER\]/);
    expectCleanError(build(input, '--exclude', 'ssn,holder'), "column 'customer_id' looks like an identifier", /about 200 of its 200 text values are distinct/);
    expect(build(input, '--exclude', 'ssn,holder,customer_id').status).toBe(0);
    expect(featureNames()).toEqual(['amount', 'region']);
    // The user may say otherwise.
    expect(build(input, '--exclude', 'ssn,holder', '--categorical', 'customer_id').status).toBe(0);
  });

  it('takes the names from the user: for a file without a header row, or in place of an unsafe header', () => {
    const headerless = file('headerless.csv', csv('078-05-1120,123456.789012,Jane Roe,C-7781-0042,north'));
    const named = build(headerless, '--no-header-row', '--column-names', 'ssn,amount,holder,customer_id,region', '--exclude', 'ssn,holder,customer_id');
    expect(named.stderr).toContain('201 rows, 2 features');
    expect(featureNames()).toEqual(['amount', 'region']);
    const pii = file('pii.csv', csv('ssn,amount,patient_john.doe@example.com,customer_id,region'));
    const renamed = build(pii, '--column-names', 'ssn,amount,holder,customer_id,region', '--exclude', 'ssn,holder,customer_id');
    expect(renamed.stderr).toContain('200 rows, 2 features');
    const profile = readFileSync(join(dir, 'names.json'), 'utf8');
    for (const raw of ['078-05-1120', 'Jane Roe', 'john.doe', 'C-7781-0042']) expect(profile).not.toContain(raw);
    // Names given by the user are held to the same pattern.
    expectCleanError(build(headerless, '--no-header-row', '--column-names', 'ssn,amount,Jane Roe,customer_id,region', '--exclude', 'ssn,customer_id'),
      "column 'Jane Roe' cannot be a feature name");
    expectCleanError(build(headerless, '--no-header-row'), 'needs its column names');
  });

  it('refuses a hand-edited baseline with a value as a feature name when it is loaded', () => {
    const profile = JSON.parse(readFileSync(baseline, 'utf8')) as { features: { name: string }[] };
    profile.features[0]!.name = '078-05-1120';
    const edited = file('edited.json', JSON.stringify(profile));
    expectCleanError(runCli(['baseline', 'inspect', edited]), "name '078-05-1120' cannot be a feature name", /\[DW_ERR_BASELINE_SCHEMA\]/);
  });
});

describe('driftwatch score', () => {
  it('exits 0 with no drift on the stable batch and 1 on the drifted one', () => {
    expect(runCli(['score', '--baseline', baseline, '--current', join(examples, 'loans-stable.csv')]).status).toBe(0);
    const drifted = runCli(['score', '--baseline', baseline, '--current', join(examples, 'loans-drifted.jsonl')]);
    expect(drifted.status).toBe(1);
    expect(drifted.stdout).toMatch(/income\s.*DRIFT/);
    expect(drifted.stdout).toContain('prediction signals');
  });

  it('prints exactly the documented JSON shape with --json', () => {
    const result = runCli(['score', '--baseline', baseline, '--current', join(examples, 'loans-drifted.jsonl'), '--json']);
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as { n: number; drift: boolean; judged: boolean; summary: string; features: Record<string, unknown>[] };
    expect(Object.keys(report)).toEqual(['n', 'drift', 'judged', 'summary', 'features']);
    expect(report.n).toBe(1000);
    expect(report.drift).toBe(true);
    expect(report.judged).toBe(true);
    for (const f of report.features) {
      const meanShift = f.role === 'multivariate' ? ['meanShift'] : [];
      const direction = 'direction' in f ? ['direction'] : [];
      const because = f.status === 'drift' ? ['flaggedBecause'] : [];
      // The data-quality rate tests run on every feature read from a column (issue 19), not on the projection's.
      const quality = f.role === 'multivariate' ? [] : ['quality'];
      expect(Object.keys(f)).toEqual(['name', 'type', 'role', 'n', 'psi', 'kl', 'js', 'hellinger', 'ks', 'chi2', 'pValue',
        'wasserstein', 'missingRate', 'baselineMissingRate', 'outOfRangeRate', 'baselineOutOfRangeRate', 'threshold', 'severity', ...direction, ...meanShift, ...quality, ...because, 'status']);
      if (f.role !== 'multivariate') expect(Object.keys((f.quality as { missing: object }).missing)).toEqual(['rate', 'baselineRate', 'pValue', 'drift']);
      expect(['ok', 'drift', 'insufficient_data']).toContain(f.status);
      if (f.type === 'categorical') expect(f.wasserstein).toBeNull();
      else expect(typeof f.wasserstein).toBe('number');
    }
    const error = report.features.find((f) => f.name === 'multivariate.reconstruction_error')!;
    expect(Object.keys(error.meanShift as object)).toEqual(['mean', 'baselineMean', 'standardError', 'meanRank', 'z', 'zThreshold', 'drift']);
    const income = report.features.find((f) => f.name === 'income')!;
    expect(income.status).toBe('drift');
    expect(income.psi as number).toBeGreaterThan(income.threshold as number);
    // Worst first: the flagged features lead, by PSI over threshold.
    const status = report.features.map((f) => f.status);
    expect(status.slice(0, status.filter((x) => x === 'drift').length).every((x) => x === 'drift')).toBe(true);
    const severities = report.features.filter((f) => f.status === 'drift').map((f) => f.severity as number);
    expect(severities).toEqual([...severities].sort((a, b) => b - a));
    expect(severities[0]).toBeCloseTo((report.features[0]!.psi as number) / (report.features[0]!.threshold as number), 12);
    // The direction, against the means computed here from the files themselves.
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const current = mean(readFileSync(join(examples, 'loans-drifted.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { income: number | null }).income).filter((x): x is number => typeof x === 'number'));
    const profile = JSON.parse(readFileSync(baseline, 'utf8')) as { features: { name: string; mean: number; std: number }[] };
    const base = profile.features.find((f) => f.name === 'income')!;
    const d = income.direction as { mean: { current: number; baseline: number; shiftSd: number }; words: string };
    expect(d.mean.current).toBeCloseTo(current, 6);
    expect(d.mean.baseline).toBe(base.mean);
    expect(d.mean.shiftSd).toBeCloseTo((current - base.mean) / base.std, 9);
    expect(d.words).toMatch(/^mean [\d.e+]+ → [\d.e+]+ \([+−][\d.]+ sd\)/);
    expect(report.summary).toMatch(new RegExp(`^Drift in \\d+ of ${report.features.length} features over 1000 rows; worst: ${report.features[0]!.name as string} \\(PSI `));
    const because = /^its distribution moved \(PSI ([\d.]+) over ([\d.]+)\)$/.exec(income.flaggedBecause as string)!;
    expect(Number(because[1])).toBeCloseTo(income.psi as number, 2);
    expect(Number(because[2])).toBeCloseTo(income.threshold as number, 2);
  });

  it('applies the drift-rule flags', () => {
    const drifted = join(examples, 'loans-drifted.jsonl');
    const strict = runCli(['score', '--baseline', baseline, '--current', drifted, '--json', '--min-effect', '0.5', '--min-mean-shift', '5', '--min-effect-rate', '0.5']);
    expect(strict.status).toBe(0);
    const loose = JSON.parse(runCli(['score', '--baseline', baseline, '--current', drifted, '--json', '--min-effect', '0',
      '--correction', 'none']).stdout) as { features: { name: string; status: string }[] };
    const strictCount = (JSON.parse(strict.stdout) as { features: { status: string }[] }).features.filter((f) => f.status === 'drift').length;
    expect(strictCount).toBe(0);
    expect(loose.features.filter((f) => f.status === 'drift').length).toBeGreaterThan(4);
  });

  it('reports insufficient data for a tiny batch', () => {
    const tiny = file('tiny.csv', readFileSync(join(examples, 'loans-stable.csv'), 'utf8').split('\n').slice(0, 11).join('\n'));
    const result = runCli(['score', '--baseline', baseline, '--current', tiny, '--json']);
    // Its own exit code, not a silent pass (issue 19).
    expect(result.status).toBe(3);
    const report = JSON.parse(result.stdout) as { judged: boolean; summary: string; features: { status: string; psi: unknown }[] };
    expect(report.features.every((f) => f.status === 'insufficient_data' && f.psi === null)).toBe(true);
    expect(report.judged).toBe(false);
    expect(report.summary).toBe('Not judged: 10 rows are too few to judge drift.');
    expect(runCli(['score', '--baseline', baseline, '--current', tiny]).stdout).toMatch(/\nNot judged: 10 rows are too few to judge drift\.\n$/);
  });

  it('refuses a file with none of the baseline\'s columns instead of reporting drift in all of them (issue 19)', () => {
    const other = file('other-model.csv', ['sepal_length,petal_width', ...Array.from({ length: 200 }, (_, i) => `${4 + (i % 30) / 10},${(i % 25) / 10}`)].join('\n'));
    expectCleanError(runCli(['score', '--baseline', baseline, '--current', other]), /other-model\.csv: the input has none of the baseline's columns \(it has sepal_length, petal_width; the baseline reads /, /DW_ERR_INPUT_COLUMNS/);
  });

  it('warns about a missing baseline column (missing rate 1) and ignores extra ones', () => {
    const rows = ['age,income,extra_col', ...Array.from({ length: 100 }, (_, i) => `${30 + (i % 40)},${40000 + i * 300},x`)];
    const result = runCli(['score', '--baseline', baseline, '--current', file('partial.csv', rows.join('\n')), '--json']);
    expect(result.stderr).toMatch(/lacks baseline column 'region'; scored as missing \(missing rate 1\)/);
    expect(result.stderr).toMatch(/ignored column\(s\) the baseline does not know: extra_col/);
    const report = JSON.parse(result.stdout) as { features: { name: string; missingRate: number }[] };
    expect(report.features.find((f) => f.name === 'region')!.missingRate).toBe(1);
    expect(result.status).toBe(1);
  });
});

describe('bad input', () => {
  it('names a missing input file', () => {
    expectCleanError(runCli(['score', '--baseline', baseline, '--current', join(dir, 'nope.csv')]), /nope\.csv: cannot read file \(ENOENT\)/);
  });

  it('names the line of a malformed CSV row, or skips it with --on-error skip', () => {
    const bad = file('bad.csv', 'age,income\n30,40000\n31\n32,41000\n');
    expectCleanError(runCli(['score', '--baseline', baseline, '--current', bad]), /bad\.csv:3: /, /DW_ERR_INPUT_ROW/);
    const skipped = runCli(['score', '--baseline', baseline, '--current', bad, '--on-error', 'skip', '--json']);
    expect(skipped.status).toBe(3); // two rows: too few to judge
    expect(skipped.stderr).toMatch(/skipped: .*bad\.csv:3/);
    expect((JSON.parse(skipped.stdout) as { n: number }).n).toBe(2);
  });

  it('names the line and field of a text value in a numeric column', () => {
    const bad = file('text.csv', 'age,income\n30,40000\n31,lots\n');
    expectCleanError(runCli(['score', '--baseline', baseline, '--current', bad]), /text\.csv:3: field 'income': text value 'lots'/);
    const badTrain = file('train-text.csv', `x\n${Array.from({ length: 50 }, (_, i) => String(i)).join('\n')}\nabc\n`);
    expectCleanError(runCli(['baseline', 'build', '--input', badTrain, '--out', join(dir, 'x.json'), '--numeric', 'x']),
      /train-text\.csv:52: field 'x': text value 'abc'/);
  });

  it('names an output file that cannot be written', () => {
    const blocker = file('not-a-dir', 'x');
    expectCleanError(runCli(['baseline', 'build', '--input', join(examples, 'loans-stable.csv'), '--out', join(blocker, 'b.json'), '--exclude', 'application_id']),
      /not-a-dir\/b\.json: cannot write file \((ENOTDIR|EEXIST)\)/, /DW_ERR_FILE_WRITE/);
  });

  it('fails when every row was skipped instead of reporting no drift', () => {
    const bad = file('all-bad.csv', 'age,income\n30,lots\n31,many\n');
    expectCleanError(runCli(['score', '--baseline', baseline, '--current', bad, '--on-error', 'skip']), /no row could be counted \(2 skipped\)/);
  });

  it('rejects an empty input', () => {
    expectCleanError(runCli(['score', '--baseline', baseline, '--current', file('empty.jsonl', '')]), /empty\.jsonl: the input holds no rows/);
    expectCleanError(runCli(['baseline', 'build', '--input', file('header.csv', 'a,b\n'), '--out', join(dir, 'e.json')]), /no rows/);
  });

  it('rejects a baseline that fails its schema or has another version', () => {
    const profile = JSON.parse(readFileSync(baseline, 'utf8')) as Record<string, unknown>;
    const current = join(examples, 'loans-stable.csv');
    expectCleanError(runCli(['score', '--baseline', file('v2.json', JSON.stringify({ ...profile, schemaVersion: '2.0' })), '--current', current]),
      /DW_ERR_BASELINE_VERSION/);
    expectCleanError(runCli(['score', '--baseline', file('broken.json', JSON.stringify({ ...profile, rowCount: -1 })), '--current', current]),
      /field 'rowCount'/, /DW_ERR_BASELINE_SCHEMA/);
    expectCleanError(runCli(['baseline', 'inspect', file('garbage.json', '{oops')]), /not valid JSON/);
  });

  it('rejects bad flags with exit code 2 and names them', () => {
    const bins = runCli(['baseline', 'build', '--input', 'x.csv', '--out', 'y.json', '--bins', 'ten']);
    expect(bins.status).toBe(2);
    expect(bins.stderr).toContain('--bins takes a whole number');
    expect(runCli(['score', '--wat']).status).toBe(2);
    const stable = join(examples, 'loans-stable.csv');
    expectCleanError(runCli(['score', '--baseline', baseline, '--current', stable, '--alpha', '3']), /drift\.alpha/);
    expectCleanError(runCli(['score', '--baseline', baseline, '--current', stable, '--correction', 'holm']), /drift\.correction/);
    expectCleanError(runCli(['score', '--baseline', baseline, '--current', stable, '--monte-carlo-draws', '10']), /drift\.monteCarloDraws/);
    expectCleanError(runCli(['baseline', 'build', '--input', join(examples, 'loans-train.csv'), '--out', join(dir, 'z.json'), '--numeric', 'region', '--exclude', 'region']),
      /both --exclude and --numeric/);
  });
});

describe('driftwatch cost', () => {
  it('prices the metrics, requests and alarms of an agent config', () => {
    const config = file('cost.yaml', `models:\n  - name: loans\n    baseline: ${baseline}\nwindows: {seconds: 60}\nsinks: {cloudwatch: {region: eu-west-1}}\n`);
    const result = runCli(['cost', '--config', config, '--json']);
    expect(result.status).toBe(0);
    const estimate = JSON.parse(result.stdout) as { totalMetrics: number; requestsPerMonth: number; alarmsUsd: number; totalUsd: number };
    // 7 input features + 12 per-model metrics + MultivariatePSI, MultivariateDrift and ReconstructionError + 4 health;
    // one request per one-minute window; 7 metric alarms at $0.10 and a composite at $0.50.
    expect(estimate.totalMetrics).toBe(26);
    expect(estimate.requestsPerMonth).toBe(43_200);
    expect(estimate.alarmsUsd).toBeCloseTo(7 * 0.1 + 0.5, 10);
    expect(estimate.totalUsd).toBeCloseTo(26 * 0.3 + 43.2 * 0.01 + 1.2, 10);
    expect(runCli(['cost', '--config', config]).stdout).toMatch(/Total: +\$9\.43 \/ month/);
  });

  it('prints what segments add before they are turned on, and refuses a segment feature that is not a categorical input', () => {
    const config = file('cost-segments.yaml', `models:\n  - name: loans\n    baseline: ${baseline}\n    segments: {feature: region, topK: 3}\nwindows: {seconds: 60}\nsinks: {cloudwatch: {region: eu-west-1}}\n`);
    const estimate = JSON.parse(runCli(['cost', '--config', config, '--json']).stdout) as { totalMetrics: number; models: { segments: { count: number; metrics: number } }[] };
    // region has five categories in the training file: the top 3 and "other" are 4 segments; SegmentDrift
    // and, per segment, SegmentEventCount, SegmentMaxFeaturePSI and SegmentDriftedFeatureCount: 1 + 3 × 4.
    expect(estimate.models[0]!.segments).toMatchObject({ count: 4, metrics: 13 });
    expect(estimate.totalMetrics).toBe(26 + 13);
    const text = runCli(['cost', '--config', config]).stdout;
    expect(text).toMatch(/Segments: +loans by 'region' \(3 \+ other\): \+13 metrics -> \+\$3\.90 \/ month/);
    expect(text).toMatch(/Total: +\$13\.33 \/ month/);
    const numeric = file('cost-bad-segments.yaml', `models:\n  - name: loans\n    baseline: ${baseline}\n    segments: {feature: income}\nsinks: {cloudwatch: {region: eu-west-1}}\n`);
    expectCleanError(runCli(['cost', '--config', numeric]), /segments\.feature: 'income' is not a categorical input feature/);
  });

  it('prices high-resolution alarms for windows shorter than a minute', () => {
    const config = file('cost-10s.yaml', `models:\n  - name: loans\n    baseline: ${baseline}\nwindows: {seconds: 10}\nsinks: {cloudwatch: {region: eu-west-1}}\n`);
    const estimate = JSON.parse(runCli(['cost', '--config', config, '--json']).stdout) as { requestsPerMonth: number; alarmsUsd: number };
    expect(estimate.requestsPerMonth).toBe(259_200);
    expect(estimate.alarmsUsd).toBeCloseTo(7 * 0.3 + 0.5, 10);
  });

  it('prices a collector config as the fleet\'s cost, and an agent that ships only over OTLP at nothing', () => {
    const collector = file('cost-collector.yaml', `models:\n  - name: loans\n    baseline: ${baseline}\nreceiver: {port: 4318}\nwindows: {seconds: 60}\nsinks: {cloudwatch: {region: eu-west-1}}\n`);
    const fleet = runCli(['cost', '--config', collector, '--json']);
    expect(fleet.status, fleet.stderr).toBe(0);
    expect(JSON.parse(fleet.stdout)).toMatchObject({ shipsTo: 'cloudwatch', component: 'collector', totalMetrics: 26, requestsPerMonth: 43_200 });
    expect(runCli(['cost', '--config', collector]).stdout).toMatch(/1 collector\(s\) shipping for the fleet behind it/);

    const agent = file('cost-otlp.yaml', `models:\n  - name: loans\n    baseline: ${baseline}\nwindows: {seconds: 60}\nsinks: {otlp: {endpoint: 'http://127.0.0.1:4318'}}\n`);
    const none = runCli(['cost', '--config', agent]);
    expect(none.status, none.stderr).toBe(0);
    expect(none.stdout).toMatch(/\$0\.00 \/ month: this agent ships its windows over OTLP to http:\/\/127\.0\.0\.1:4318.*the collector's config/);
    expect(JSON.parse(runCli(['cost', '--config', agent, '--json']).stdout)).toMatchObject({ shipsTo: 'otlp', totalUsd: 0 });
  });
});

describe('driftwatch demo', () => {
  it('runs a live agent that flags the drifted windows, raises the retraining alert and writes the payloads', () => {
    const out = join(dir, 'demo');
    const result = runCli(['demo', '--out', out, '--pace', '0']);
    expect(result.status).toBe(0);
    const windows = result.stdout.split('\n').filter((l) => /^\s+\d\d:\d\d-\d\d:\d\d/.test(l));
    expect(windows).toHaveLength(8);
    expect(windows.slice(0, 5).every((l) => / ok /.test(l))).toBe(true);
    expect(windows.slice(5).every((l) => /DRIFT: .*income/.test(l))).toBe(true);
    expect(windows[7]).toMatch(/RETRAIN$/);
    expect(result.stdout).toContain('Retraining alert');
    const requests = readFileSync(join(out, 'cloudwatch-payloads.ndjson'), 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l) as { Namespace: string; MetricData: { MetricName: string; Value?: number }[] });
    expect(requests).toHaveLength(8);
    expect(requests.every((r) => r.Namespace === 'Driftwatch')).toBe(true);
    const retrain = requests.map((r) => r.MetricData.find((d) => d.MetricName === 'RetrainingRecommended')!.Value);
    expect(retrain).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
  });
});
