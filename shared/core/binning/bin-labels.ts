import type { FeatureProfile } from '../profile/baseline-profile.js';

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}

/** Human-readable name of every bin of a feature, in bin order (for reports, never telemetry). */
export function binLabels(feature: FeatureProfile): string[] {
  if (feature.type === 'categorical') return [...feature.categories, '(other)', '(missing)'];
  const e = feature.edges;
  const labels = [`< ${fmt(e[0]!)}`];
  if (e.length === 1) labels.push(`= ${fmt(e[0]!)}`);
  for (let i = 1; i < e.length; i++) {
    labels.push(`[${fmt(e[i - 1]!)}, ${fmt(e[i]!)}${i === e.length - 1 ? ']' : ')'}`);
  }
  labels.push(`> ${fmt(e[e.length - 1]!)}`, '(missing)');
  return labels;
}
