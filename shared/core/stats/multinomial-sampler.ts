import gammaln from '@stdlib/math-base-special-gammaln';

/** Probabilities below this share of the mode's are left out of a table: never drawn in practice. */
const TAIL = 1e-18;
/**
 * Table entries kept at most (12 bytes each, about 1.8 MB): beyond it, counts whose table is not
 * kept are drawn from the mode outwards instead ({@link binomialFromMode}), which allocates nothing.
 */
const MAX_CACHED = 150_000;
/** Bins × (n + 1) table slots at most: beyond (a window of ~10⁵ rows), every count is drawn from the mode. */
const MAX_SLOTS = 1_000_000;

/** The most likely count of Binomial(m, q), and the pmf ratio q / (1 − q) of its recurrences. */
function modeOf(m: number, q: number): { mode: number; up: number } {
  return { mode: Math.min(m, Math.floor((m + 1) * q)), up: q / (1 - q) };
}

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
  const { mode, up } = modeOf(m, q);
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
 * One Binomial(m, q) count, 0 < q < 1, without a table: the uniform is spent on the pmf from the
 * mode outwards, alternately below and above (exact; a different map from uniforms to counts than
 * the table's inversion, and O(standard deviation) steps).
 */
export function binomialFromMode(m: number, q: number, uniform: number): number {
  const { mode, up } = modeOf(m, q);
  const pMode = Math.exp(gammaln(m + 1) - gammaln(mode + 1) - gammaln(m - mode + 1) + mode * Math.log(q) + (m - mode) * Math.log1p(-q));
  let u = uniform - pMode;
  if (u < 0) return mode;
  let lo = mode;
  let hi = mode;
  let pLo = pMode;
  let pHi = pMode;
  while (pLo >= TAIL * pMode || pHi >= TAIL * pMode) {
    if (lo > 0) {
      pLo *= lo / ((m - lo + 1) * up);
      lo--;
      if ((u -= pLo) < 0) return lo;
    } else pLo = 0;
    if (hi < m) {
      pHi *= ((m - hi) / (hi + 1)) * up;
      hi++;
      if ((u -= pHi) < 0) return hi;
    } else pHi = 0;
  }
  return mode; // rounding left a sliver of the uniform unspent
}

/**
 * Draws multinomial counts of `n` rows over fixed proportions, exactly (up to probabilities below
 * 10⁻¹⁸ of the most likely count), as a chain of conditional binomials: the count of bin i is
 * Binomial(rows left, p_i / Σ_{j ≥ i} p_j), drawn by inverting its CDF. The CDF of each (bin, rows
 * left) is built once and kept (up to a budget), so a draw costs one uniform and a guided search per
 * bin, whatever `n` is: an order of magnitude fewer steps than drawing n rows one by one.
 */
export class MultinomialSampler {
  /** Conditional probability of each bin given the rows left for it and the bins after it. */
  private readonly conditional: Float64Array;
  private readonly lastBin: number;
  private readonly tables: (Table | undefined)[][] | undefined;
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
    // Per bin, one slot per number of rows left (a dense array: fast to index).
    this.tables = bins * (n + 1) > MAX_SLOTS ? undefined : Array.from({ length: bins }, () => new Array<Table | undefined>(n + 1).fill(undefined));
  }

  /** The table of a bin and rows left, built now if the budget allows; undefined once it is spent. */
  private table(bin: number, rows: number): Table | undefined {
    if (this.tables === undefined) return undefined;
    let t = this.tables[bin]![rows];
    if (t === undefined && this.cached < MAX_CACHED) {
      t = binomialTable(rows, this.conditional[bin]!);
      this.cached += t.cdf.length;
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
      const t = this.table(i, rows);
      const u = this.uniform();
      if (t === undefined) {
        const c = binomialFromMode(rows, q, u);
        out[i] = c;
        rows -= c;
        continue;
      }
      const { lo, cdf, guide } = t;
      let k = guide[Math.floor(u * guide.length)]!;
      while (u >= cdf[k]!) k++;
      out[i] = lo + k;
      rows -= lo + k;
    }
  }
}
