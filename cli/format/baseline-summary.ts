import { binLabels } from '../../shared/core/binning/bin-labels.js';
import { describeSource, type BaselineProfile, type FeatureProfile } from '../../shared/core/profile/baseline-profile.js';
import { formatTable, num, pct } from './table.js';

function describe(feature: FeatureProfile): string {
  if (feature.type === 'numeric') {
    const e = feature.edges;
    return `${e.length - 1 || 1} bins over [${num(e[0]!, 4)}, ${num(e[e.length - 1]!, 4)}], mean ${num(feature.mean, 4)}, sd ${num(feature.std, 4)}`;
  }
  const shown = feature.categories.slice(0, 5).join(', ');
  const more = feature.categories.length > 5 ? `, ... (${feature.categories.length} kept)` : '';
  return `${feature.categories.length} categories: ${shown}${more}; other ${pct(feature.proportions[feature.proportions.length - 2]!)}`;
}

/** The readable summary of `driftwatch baseline inspect`. */
export function baselineSummary(profile: BaselineProfile, verbose = false): string {
  const lines = [
    `baseline ${profile.schema} v${profile.schemaVersion}, built ${profile.createdAt} from ${profile.source.file} (${profile.source.format})`,
    `${profile.rowCount} rows, ${profile.features.length} features; ${profile.options.bins} quantile bins, top ${profile.options.topK} categories`,
    '',
    formatTable(
      ['feature', 'role', 'type', 'source', 'missing', 'bins'],
      profile.features.map((f) => [
        f.name,
        f.role,
        f.type,
        describeSource(f.source),
        pct(f.proportions[f.proportions.length - 1]!),
        describe(f),
      ]),
    ),
  ];
  const perf = profile.performance;
  if (perf !== undefined) {
    lines.push('', `labels: ${perf.labelled} rows, ${pct(perf.correct / perf.labelled)} of '${perf.predictionFeature}' right; calibrates the accuracy estimate over the bins of '${perf.confidenceFeature}'`);
  }
  for (const p of profile.projections) {
    const explained = p.explainedVarianceRatio.reduce((a, b) => a + b, 0);
    const input = p.kind === 'tabular' ? `${p.dimension} input features` : `column '${p.column!}', ${p.dimension} dimensions`;
    lines.push('', `projection ${p.name} (${p.kind}, ${input}): ${p.components.length} principal components explain ${pct(explained)} of the variance (target ${pct(p.varianceTarget)}), fitted on ${p.rowCount} rows`);
  }
  if (verbose) {
    for (const f of profile.features) {
      lines.push('', `${f.name}:`);
      const labels = binLabels(f);
      lines.push(formatTable(['bin', 'count', 'share'], labels.map((label, i) => [label, String(f.counts[i]), pct(f.proportions[i]!)]), [false, true, true]));
    }
  }
  return lines.join('\n');
}
