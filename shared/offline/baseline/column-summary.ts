/**
 * What the baseline builder knows of one column after its first look at the data: type evidence,
 * range, moments, quantiles and category candidates. The streaming builder fills it row by row
 * (ColumnScan); the columnar engine fills it from one aggregate query (offline/engine). Every
 * decision on a column (its type, its bins, whether it is an identifier) reads only this.
 */
export interface ColumnSummary {
  /** Values that read as numbers (NaN is missing, ±Infinity counts). */
  readonly numbers: number;
  /** Values that read as text (not numbers, not missing). */
  readonly texts: number;
  /** Values that cannot be read at all (nested values, bad probability vectors). */
  readonly invalid: number;
  /** The first unreadable value: its line (or row) and why. */
  readonly firstInvalid: { line: number; reason: string } | undefined;
  /** Smallest and largest finite number (±Infinity when there is none). */
  readonly min: number;
  readonly max: number;
  /** Shortest and longest text value. */
  readonly textLength: { min: number; max: number };
  /** Non-missing values seen. */
  readonly present: number;
  /** Whether any finite number was seen (so a range exists). */
  readonly hasRange: boolean;
  /** Distinct numeric values if few (≤ limit) and all integers; otherwise undefined. */
  fewIntegerValues(limit: number): number[] | undefined;
  /** Candidate categories: frequent texts plus few distinct numbers, as category strings. */
  categoryCandidates(): string[];
  /** Estimated number of distinct text values. */
  distinctTextCount(): number;
  /** Mean and population standard deviation of the finite numbers. */
  moments(): { mean: number; std: number };
  /** The q-quantile of the finite numbers (approximate: see docs/baseline-format.md). */
  quantile(q: number): number;
}
