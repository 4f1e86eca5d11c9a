import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBaseline } from '../../shared/offline/baseline/build-baseline.js';
import { fileRowSource } from '../../shared/offline/input/file-row-source.js';
import type { BaselineProfile } from '../../shared/core/profile/baseline-profile.js';
import { ROOT } from './run-cli.js';

/** A row of the bundled example data with typed values (as the JSONL file has them). */
export type ExampleRow = Record<string, string | number | null>;

const NUMERIC = new Set(['age', 'income', 'credit_utilization', 'num_accounts', 'tenure_months', 'confidence']);

/** Rows of an example file, typed. */
export function exampleRows(file: string): ExampleRow[] {
  const text = readFileSync(join(ROOT, 'examples', file), 'utf8');
  if (file.endsWith('.jsonl')) return text.trim().split('\n').map((l) => JSON.parse(l) as ExampleRow);
  const [header, ...lines] = text.trim().split('\n');
  const cols = header!.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(cols.map((c, i) => {
      const v = cells[i] ?? '';
      return [c, v === '' ? null : NUMERIC.has(c) ? Number(v) : v];
    }));
  });
}

/** The example baseline, as the demo builds it. */
export async function exampleBaseline(): Promise<BaselineProfile> {
  const { profile } = await buildBaseline(fileRowSource(join(ROOT, 'examples', 'loans-train.csv')), {
    exclude: ['application_id'], confidenceColumn: 'confidence', predictionColumn: 'prediction',
  });
  return profile;
}

/** An API event for a row: inputs under `features`, the model's output under `prediction`. */
export function toEvent(row: ExampleRow, model: string, timestamp?: number): Record<string, unknown> {
  const { prediction, confidence, ...rest } = row;
  const features = Object.fromEntries(Object.entries(rest).filter(([k]) => k !== 'application_id'));
  return { model, ...(timestamp === undefined ? {} : { timestamp }), features, prediction: { label: prediction, confidence } };
}
