/**
 * Generates the bundled example data in examples/: a loan-approval model's training rows and two
 * production batches, one like training and one where drift begins part-way. Seeded, so the files
 * are reproducible: `npm run examples`.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { seededNormal } from './lib/seeded-normal.js';

interface Drift {
  /** Share of rows (from the end) that are drifted. */
  share: number;
}

const REGIONS = ['north', 'south', 'east', 'west', 'central'];
const CHANNELS = ['web', 'branch', 'mobile', 'partner'];

function pick<T>(items: readonly T[], weights: readonly number[], u: number): T {
  let acc = 0;
  const sum = weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < items.length; i++) {
    acc += weights[i]! / sum;
    if (u < acc) return items[i]!;
  }
  return items[items.length - 1]!;
}

function rows(count: number, seed: number, drift: Drift | undefined): Record<string, number | string | null>[] {
  const { normal, uniform } = seededNormal(seed);
  const out: Record<string, number | string | null>[] = [];
  for (let i = 0; i < count; i++) {
    const drifted = drift !== undefined && i >= count * (1 - drift.share);
    const age = Math.round(Math.min(90, Math.max(18, 45 + 12 * normal())));
    const income = Math.round(Math.exp(10.8 + 0.45 * normal() - (drifted ? 0.35 : 0)));
    const utilisation = Math.min(1, Math.max(0, 0.35 + 0.18 * normal() + (drifted ? 0.12 : 0)));
    const accounts = Math.min(8, Math.max(0, Math.round(3 + 1.6 * normal())));
    const region = pick(REGIONS, [30, 25, 20, 15, 10], uniform());
    const channel = uniform() < 0.04 ? null : pick(CHANNELS, drifted ? [25, 10, 55, 10] : [40, 25, 25, 10], uniform());
    const tenure = uniform() < (drifted ? 0.2 : 0.05) ? null : Math.round(Math.max(0, 60 + 40 * normal()));
    const logit = -1.2 + 0.9 * Math.log(income / 50000) - 2.5 * (utilisation - 0.35) + 0.02 * (age - 45) + 0.4 * normal();
    const p = 1 / (1 + Math.exp(-logit));
    out.push({
      application_id: `A${seed}-${String(i).padStart(6, '0')}`,
      age,
      income,
      credit_utilization: Number(utilisation.toFixed(4)),
      num_accounts: accounts,
      region,
      channel,
      tenure_months: tenure,
      prediction: p >= 0.5 ? 'approve' : 'decline',
      confidence: Number(Math.max(p, 1 - p).toFixed(4)),
    });
  }
  return out;
}

function toCsv(records: Record<string, number | string | null>[]): string {
  const header = Object.keys(records[0]!);
  const lines = records.map((r) => header.map((h) => (r[h] === null ? '' : String(r[h]))).join(','));
  return [header.join(','), ...lines].join('\n') + '\n';
}

function toJsonl(records: Record<string, number | string | null>[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

const dir = fileURLToPath(new URL('../examples/', import.meta.url));
writeFileSync(`${dir}loans-train.csv`, toCsv(rows(5000, 1, undefined)));
writeFileSync(`${dir}loans-stable.csv`, toCsv(rows(1000, 2, undefined)));
writeFileSync(`${dir}loans-drifted.jsonl`, toJsonl(rows(1000, 3, { share: 0.6 })));
console.log(`wrote loans-train.csv (5000 rows), loans-stable.csv (1000), loans-drifted.jsonl (1000, drift in the last 60 %) to ${dir}`);
