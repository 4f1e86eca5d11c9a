/**
 * The values a numeric histogram is released with (the `Confidence` statistic set's `Values`):
 * one representative per bin, never an observed value. Interior bins are represented by their
 * midpoint, the two tails by their edge, each rounded to a grid one tenth of the decade of the
 * baseline's range (0.01 for confidences spread over 0.3 to 1), outward for the tails. So the
 * training set's exact minimum and maximum (the outer edges) never leave; bins whose
 * representatives round to the same grid point share one value.
 */
export interface ReleasedPoints {
  /** Distinct representatives, ascending. */
  values: number[];
  /** For each bin of the numeric layout but missing (below, interior..., above): its index in `values`. */
  binToValue: number[];
}

/** Grid step for edges spanning `range`: a tenth of its decade (a range of 0 uses the magnitude of the edge). */
export function gridStep(range: number, magnitude: number): number {
  const span = range > 0 ? range : Math.abs(magnitude) > 0 ? Math.abs(magnitude) : 1;
  return 10 ** (Math.floor(Math.log10(span)) - 1);
}

/** Rounds to the grid without binary noise (0.30000000000000004 → 0.3). */
function onGrid(x: number, step: number, round: (v: number) => number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  return Number((round(x / step) * step).toFixed(Math.min(decimals, 20)));
}

/** Released representatives of the bins over `edges` (the numeric layout without its missing bin). */
export function releasedPoints(edges: readonly number[]): ReleasedPoints {
  const first = edges[0]!;
  const last = edges[edges.length - 1]!;
  const step = gridStep(last - first, last);
  const interior = edges.length === 1 ? [first] : edges.slice(1).map((e, i) => (edges[i]! + e) / 2);
  const raw = [onGrid(first, step, Math.floor), ...interior.map((m) => onGrid(m, step, Math.round)), onGrid(last, step, Math.ceil)];
  const values = [...new Set(raw)].sort((a, b) => a - b);
  return { values, binToValue: raw.map((v) => values.indexOf(v)) };
}

/** Adds bin counts up per released value. */
export function releasedCounts(points: ReleasedPoints, binCounts: ArrayLike<number>): number[] {
  const out = points.values.map(() => 0);
  points.binToValue.forEach((j, bin) => (out[j]! += binCounts[bin]!));
  return out;
}
