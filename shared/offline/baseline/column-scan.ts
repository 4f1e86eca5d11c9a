import tdigest from 'tdigest';
import type { ColumnSummary } from './column-summary.js';
import { InvalidValue, MISSING } from '../../core/aggregation/read-source.js';
import { preview, toCategory, toNumber } from '../../core/aggregation/value-coercion.js';
import { DistinctCount } from './distinct-count.js';
import { FrequentItems } from './frequent-items.js';

const { TDigest } = tdigest;

/** Distinct numeric values tracked before a column stops being a categorical candidate. */
const DISTINCT_LIMIT = 64;
/** Misra–Gries capacity for category candidates. */
const CANDIDATE_CAPACITY = 4096;

/**
 * First-pass statistics of one feature candidate: type evidence, a quantile sketch, exact range
 * and moments, and category candidates. Memory is bounded per column.
 */
export class ColumnScan implements ColumnSummary {
  numbers = 0;
  texts = 0;
  invalid = 0;
  firstText: { line: number; value: string } | undefined;
  firstInvalid: { line: number; reason: string } | undefined;
  min = Infinity;
  max = -Infinity;
  private mean = 0;
  private m2 = 0;
  private finite = 0;
  private allIntegers = true;
  private distinct: Map<number, number> | undefined = new Map();
  private readonly digest = new TDigest();
  private readonly items = new FrequentItems(CANDIDATE_CAPACITY);
  private readonly distinctTexts = new DistinctCount();
  /** Shortest and longest text value, in UTF-16 code units. */
  textLength = { min: Infinity, max: -Infinity };

  /** @param categorical the column is declared categorical, so numbers are category candidates too */
  constructor(private readonly categorical = false) {}

  /** Adds one value as returned by `readSource`. */
  add(value: unknown, line: number): void {
    if (value === MISSING) return;
    if (value instanceof InvalidValue) {
      this.invalid++;
      this.firstInvalid ??= { line, reason: value.reason };
      return;
    }
    const x = toNumber(value);
    if (x !== undefined && !Number.isNaN(x)) {
      this.addNumber(x);
      return;
    }
    const category = toCategory(value);
    if (category === undefined) {
      this.invalid++;
      this.firstInvalid ??= { line, reason: `nested value '${preview(value)}'` };
      return;
    }
    this.texts++;
    this.firstText ??= { line, value: preview(value) };
    this.items.add(category);
    this.distinctTexts.add(category);
    if (category.length < this.textLength.min) this.textLength.min = category.length;
    if (category.length > this.textLength.max) this.textLength.max = category.length;
  }

  private addNumber(x: number): void {
    this.numbers++;
    if (this.categorical) this.items.add(String(x));
    if (this.distinct !== undefined) {
      this.distinct.set(x, (this.distinct.get(x) ?? 0) + 1);
      if (this.distinct.size > DISTINCT_LIMIT) this.distinct = undefined;
    }
    if (!Number.isFinite(x)) return; // ±Infinity: counted, binned into a tail, kept out of moments
    if (!Number.isInteger(x)) this.allIntegers = false;
    this.finite++;
    const delta = x - this.mean;
    this.mean += delta / this.finite;
    this.m2 += delta * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    this.digest.push(x);
  }

  /** Non-missing values seen. */
  get present(): number {
    return this.numbers + this.texts + this.invalid;
  }

  /** Distinct numeric values if few (≤ limit) and all integers; otherwise undefined. */
  fewIntegerValues(limit: number): number[] | undefined {
    if (this.distinct === undefined || !this.allIntegers || this.distinct.size > limit) return undefined;
    return [...this.distinct.keys()];
  }

  /** Candidate categories: frequent texts plus few distinct numbers, as category strings. */
  categoryCandidates(): string[] {
    const numbers = this.distinct === undefined ? [] : [...this.distinct.keys()].map((x) => String(x));
    return [...new Set([...this.items.candidates(), ...numbers])];
  }

  /** Estimated number of distinct text values (an identifier column has about one per row). */
  distinctTextCount(): number {
    return this.distinctTexts.estimate();
  }

  /** Mean and population standard deviation of the finite numbers. */
  moments(): { mean: number; std: number } {
    return { mean: this.mean, std: this.finite > 0 ? Math.sqrt(this.m2 / this.finite) : 0 };
  }

  /** Whether any finite number was seen (so a range exists). */
  get hasRange(): boolean {
    return this.finite > 0;
  }

  /** Approximate q-quantile of the finite numbers. */
  quantile(q: number): number {
    return this.digest.percentile(q);
  }
}
