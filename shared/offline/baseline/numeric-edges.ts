/**
 * Interior bin edges for `bins` quantile bins: the exact minimum and maximum plus the (i / bins)
 * quantiles in between, clamped to the range; tied quantiles collapse into one edge.
 */
export function quantileEdges(min: number, max: number, bins: number, quantile: (q: number) => number): number[] {
  const edges = [min];
  for (let i = 1; i < bins; i++) {
    const value = Math.min(max, Math.max(min, quantile(i / bins)));
    if (value > edges[edges.length - 1]!) edges.push(value);
  }
  if (max > edges[edges.length - 1]!) edges.push(max);
  return edges;
}

/**
 * Removes edges until no interior bin is empty, merging each empty bin into its right neighbour
 * (into the left one for the last bin). `counts` uses the numeric layout
 * [below, interior..., above, missing]; each of `parallel` (counts of a subset of the same rows in
 * the same layout) is merged the same way. Returns new arrays.
 */
export function mergeEmptyBins(edges: readonly number[], counts: readonly number[], parallel: readonly (readonly number[])[] = []): { edges: number[]; counts: number[]; parallel: number[][] } {
  const e = [...edges];
  const c = [...counts];
  const more = parallel.map((p) => [...p]);
  for (;;) {
    const k = Math.max(1, e.length - 1);
    if (k === 1) break;
    let empty = -1;
    for (let j = 1; j <= k; j++) {
      if (c[j] === 0) {
        empty = j;
        break;
      }
    }
    if (empty < 0) break;
    if (empty < k) {
      // [e(j-1), e(j)) ∪ [e(j), e(j+1)) = [e(j-1), e(j+1)): drop edge j.
      for (const x of [c, ...more]) {
        x[empty + 1]! += x[empty]!;
        x.splice(empty, 1);
      }
      e.splice(empty, 1);
    } else {
      for (const x of [c, ...more]) {
        x[empty - 1]! += x[empty]!;
        x.splice(empty, 1);
      }
      e.splice(empty - 1, 1);
    }
  }
  return { edges: e, counts: c, parallel: more };
}
