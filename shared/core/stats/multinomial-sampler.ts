/** Probabilities below this share of the mode's are left out of a table: never drawn in practice. */
const TAIL = 1e-18;
/** Table entries kept at most (8 bytes each); beyond it the tables are dropped and rebuilt as needed. */
const MAX_CACHED = 500_000;

/**
 * The CDF of one binomial over the counts lo … lo + cdf.length − 1, with a guide: guide[g] is the
 * first index whose CDF exceeds g / guide.length, where the search for a uniform in that slice starts
 * (about one step on average).
 */
interface Table {
  lo: number;
  cdf: Float64Array;
  guide: Int32Array;
}

/**
 * The CDF table of Binomial(m, q), 0 < q < 1, trimmed where the pmf falls below {@link TAIL} of its
 * mode's: the pmf relative to the mode's by the ratio recurrence, then normalised.
 */
function binomialTable(m: number, q: number): Table {
  const mode = Math.min(m, Math.floor((m + 1) * q));
  const up = q / (1 - q);
  const left: number[] = [];
  for (let k = mode, pk = 1; k > 0; k--) {
    pk *= k / ((m - k + 1) * up); // pmf(k − 1) / pmf(mode)
    if (pk < TAIL) break;
    left.push(pk);
  }
  const right: number[] = [];
  for (let k = mode, pk = 1; k < m; k++) {
    pk *= ((m - k) / (k + 1)) * up; // pmf(k + 1) / pmf(mode)
    if (pk < TAIL) break;
    right.push(pk);
  }
  const cdf = new Float64Array(left.length + 1 + right.length);
  let acc = 0;
  let j = 0;
  for (let i = left.length - 1; i >= 0; i--) cdf[j++] = acc += left[i]!;
  cdf[j++] = acc += 1;
  for (const pk of right) cdf[j++] = acc += pk;
  for (let i = 0; i < cdf.length; i++) cdf[i]! /= acc;
  cdf[cdf.length - 1] = 1;
  const guide = new Int32Array(cdf.length);
  for (let g = 0, k = 0; g < guide.length; g++) {
    while (cdf[k]! <= g / guide.length) k++;
    guide[g] = k;
  }
  return { lo: mode - left.length, cdf, guide };
}

/**
 * Draws multinomial counts of `n` rows over fixed proportions, exactly (up to probabilities below
 * 10⁻¹⁸ of the most likely count), as a chain of conditional binomials: the count of bin i is
 * Binomial(rows left, p_i / Σ_{j ≥ i} p_j), drawn by inverting its CDF. The CDF of each (bin, rows
 * left) is built once and kept, so a draw costs one uniform and a guided search per bin, whatever
 * `n` is: an order of magnitude fewer steps than drawing n rows one by one.
 */
export class MultinomialSampler {
  /** Conditional probability of each bin given the rows left for it and the bins after it. */
  private readonly conditional: Float64Array;
  private readonly lastBin: number;
  private tables: (Table | undefined)[][];
  private cached = 0;

  constructor(proportions: ArrayLike<number>, private readonly n: number, private readonly uniform: () => number) {
    const bins = proportions.length;
    const suffix = new Float64Array(bins + 1);
    for (let i = bins - 1; i >= 0; i--) suffix[i] = suffix[i + 1]! + proportions[i]!;
    this.conditional = new Float64Array(bins);
    let last = -1;
    for (let i = 0; i < bins; i++) {
      if (proportions[i]! > 0) last = i;
      this.conditional[i] = proportions[i]! > 0 ? Math.min(1, proportions[i]! / suffix[i]!) : 0;
    }
    this.lastBin = last;
    this.tables = this.emptyTables();
  }

  /** Per bin, one slot per number of rows left (a dense array: fast to index). */
  private emptyTables(): (Table | undefined)[][] {
    return Array.from({ length: this.conditional.length }, () => new Array<Table | undefined>(this.n + 1).fill(undefined));
  }

  private table(bin: number, rows: number): Table {
    let t = this.tables[bin]![rows];
    if (t === undefined) {
      t = binomialTable(rows, this.conditional[bin]!);
      this.cached += 2 * t.cdf.length;
      if (this.cached > MAX_CACHED) {
        this.tables = this.emptyTables();
        this.cached = 2 * t.cdf.length;
      }
      this.tables[bin]![rows] = t;
    }
    return t;
  }

  /** Fills `out` (one slot per bin) with the counts of one simulated window of `n` rows. */
  draw(out: Float64Array): void {
    let rows = this.n;
    for (let i = 0; i < out.length; i++) {
      const q = this.conditional[i]!;
      if (rows === 0 || q === 0) {
        out[i] = 0;
        continue;
      }
      if (i === this.lastBin || q >= 1) {
        out[i] = rows;
        rows = 0;
        continue;
      }
      const { lo, cdf, guide } = this.table(i, rows);
      const u = this.uniform();
      let k = guide[Math.floor(u * guide.length)]!;
      while (u >= cdf[k]!) k++;
      out[i] = lo + k;
      rows -= lo + k;
    }
  }
}
