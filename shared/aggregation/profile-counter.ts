import { numericBinIndex } from '../binning/numeric-bins.js';
import { expectedBinCount, type FeatureProfile } from '../profile/baseline-profile.js';
import { InvalidValue, MISSING, readSource, type InputRecord, type VectorCache } from './read-source.js';
import { preview, toCategory, toNumber } from './value-coercion.js';

/** Why a record could not be counted: the feature and a sentence about its value. */
export interface ValueProblem {
  field: string;
  message: string;
}

/** Returns the bin of `value` for one feature, or a problem message. */
type Binner = (value: unknown) => number | string;

function numericBinner(feature: FeatureProfile & { type: 'numeric' }, strict: boolean): Binner {
  const edges = Float64Array.from(feature.edges);
  const missing = expectedBinCount(feature) - 1;
  return (value) => {
    if (strict) {
      if (typeof value !== 'number') return `${typeof value} value '${preview(value)}' in numeric feature`;
      if (!Number.isFinite(value)) return 'non-finite number in numeric feature';
      return numericBinIndex(edges, value);
    }
    const x = toNumber(value);
    if (x === undefined) return `text value '${preview(value)}' in numeric feature`;
    return Number.isNaN(x) ? missing : numericBinIndex(edges, x);
  };
}

function categoricalBinner(feature: FeatureProfile & { type: 'categorical' }): Binner {
  const index = new Map(feature.categories.map((c, i) => [c, i]));
  const other = feature.categories.length;
  return (value) => {
    const category = toCategory(value);
    if (category === undefined) return `nested value '${preview(value)}' in categorical feature`;
    return index.get(category) ?? other;
  };
}

/** How values are read. */
export interface CounterOptions {
  /**
   * Numeric features take only finite JSON numbers (the live API); otherwise numeric text is
   * parsed too (CSV files) and NaN counts as missing.
   */
  strictTypes?: boolean;
}

/**
 * Counts records into the bins of every feature of a profile. Pure aggregation: no I/O, no clock.
 * A record is counted whole or not at all: if any feature's value is invalid, nothing is counted
 * and the problem is returned.
 */
export class ProfileCounter {
  /** Per feature (profile order), counts per bin; the last bin is "missing". */
  readonly counts: Float64Array[];
  private readonly features: readonly FeatureProfile[];
  private readonly binners: Binner[];
  private readonly pending: Int32Array;
  private readonly cache: VectorCache = new Map();
  private rows = 0;

  constructor(features: readonly FeatureProfile[], options: CounterOptions = {}) {
    const strict = options.strictTypes === true;
    this.features = features;
    this.counts = features.map((f) => new Float64Array(expectedBinCount(f)));
    this.binners = features.map((f) => (f.type === 'numeric' ? numericBinner(f, strict) : categoricalBinner(f)));
    this.pending = new Int32Array(features.length);
  }

  /** Records counted so far. */
  get n(): number {
    return this.rows;
  }

  /** Counts one record, or returns why it cannot be counted (and counts nothing). */
  add(record: InputRecord): ValueProblem | undefined {
    this.cache.clear();
    for (let i = 0; i < this.features.length; i++) {
      const feature = this.features[i]!;
      const value = readSource(record, feature.source, this.cache);
      let bin: number | string;
      if (value === MISSING) bin = this.counts[i]!.length - 1;
      else if (value instanceof InvalidValue) bin = value.reason;
      else bin = this.binners[i]!(value);
      if (typeof bin === 'string') return { field: feature.source.column, message: bin };
      this.pending[i] = bin;
    }
    for (let i = 0; i < this.features.length; i++) this.counts[i]![this.pending[i]!]!++;
    this.rows++;
    return undefined;
  }

  /** Zeroes every count (reuse between windows without reallocating). */
  reset(): void {
    for (const c of this.counts) c.fill(0);
    this.rows = 0;
  }

  /** Adds counts counted elsewhere in the same layout (another agent's window): fleet merging is addition. */
  merge(counts: readonly ArrayLike<number>[], rows: number): void {
    if (counts.length !== this.counts.length) throw new RangeError(`expected ${this.counts.length} features, got ${counts.length}`);
    counts.forEach((c, i) => {
      const mine = this.counts[i]!;
      if (c.length !== mine.length) throw new RangeError(`feature ${i}: expected ${mine.length} bins, got ${c.length}`);
      for (let b = 0; b < c.length; b++) mine[b]! += c[b]!;
    });
    this.rows += rows;
  }

  /** Restores counts saved by a checkpoint (same profile, same layout). */
  restore(counts: readonly ArrayLike<number>[], rows: number): void {
    if (counts.length !== this.counts.length) throw new RangeError(`expected ${this.counts.length} features, got ${counts.length}`);
    counts.forEach((c, i) => {
      if (c.length !== this.counts[i]!.length) throw new RangeError(`feature ${i}: expected ${this.counts[i]!.length} bins, got ${c.length}`);
      this.counts[i]!.set(c);
    });
    this.rows = rows;
  }
}
