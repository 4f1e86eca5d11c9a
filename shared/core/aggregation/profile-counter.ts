import { numericBinIndex } from '../binning/numeric-bins.js';
import type { Projector } from '../multivariate/projector.js';
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
  /**
   * The fitted projections that features with a `projection` source read (shared between
   * counters: they hold only per-record scratch buffers).
   */
  projectors?: readonly Projector[];
}

/** How a feature derived from a projection reads its value. */
interface Derived {
  projector: Projector;
  /** The projector's index in the counter's list (its result slot). */
  slot: number;
  /** -1: the reconstruction error; otherwise the component score index. */
  component: number;
}

/**
 * Counts records into the bins of every feature of a profile. Pure aggregation: no I/O, no clock.
 * A record is counted whole or not at all: if any feature's value is invalid, nothing is counted
 * and the problem is returned.
 */
export class ProfileCounter {
  /** Per feature (profile order), counts per bin; the last bin is "missing". */
  readonly counts: Float64Array[];
  /**
   * Per feature, the sum of the values counted, for features derived from a projection (their
   * window mean is tested against the baseline); 0 for other features.
   */
  readonly sums: Float64Array;
  private readonly features: readonly FeatureProfile[];
  private readonly derived: (Derived | undefined)[];
  private readonly projectors: readonly Projector[];
  private readonly projected: (undefined | symbol | string)[];
  private readonly values: Float64Array;
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
    this.sums = new Float64Array(features.length);
    this.values = new Float64Array(features.length);
    const projectors = options.projectors ?? [];
    const used: Projector[] = [];
    this.derived = features.map((f) => {
      if (!('projection' in f.source)) return undefined;
      const { projection, output, component } = f.source;
      const projector = projectors.find((p) => p.name === projection);
      if (projector === undefined) throw new RangeError(`feature '${f.name}' reads projection '${projection}', which was not given`);
      if (!used.includes(projector)) used.push(projector);
      return { projector, slot: used.indexOf(projector), component: output === 'reconstruction_error' ? -1 : component! };
    });
    this.projectors = used;
    this.projected = used.map(() => undefined);
  }

  /** Records counted so far. */
  get n(): number {
    return this.rows;
  }

  /** Counts one record, or returns why it cannot be counted (and counts nothing). */
  add(record: InputRecord): ValueProblem | undefined {
    this.cache.clear();
    let projected = false;
    for (let i = 0; i < this.features.length; i++) {
      const feature = this.features[i]!;
      const derived = this.derived[i];
      let value: unknown;
      if (derived === undefined) {
        value = readSource(record, feature.source as Extract<FeatureProfile['source'], { column: string }>, this.cache);
      } else {
        // Projections read the whole record: only once every column feature has passed.
        if (!projected) {
          const problem = this.project(record);
          if (problem !== undefined) return problem;
          projected = true;
        }
        const state = this.projected[derived.slot];
        value = state === MISSING ? MISSING : derived.projector.value(derived.component);
        this.values[i] = value === MISSING ? 0 : (value as number);
      }
      let bin: number | string;
      if (value === MISSING) bin = this.counts[i]!.length - 1;
      else if (value instanceof InvalidValue) bin = value.reason;
      else bin = this.binners[i]!(value);
      if (typeof bin === 'string') return { field: 'column' in feature.source ? feature.source.column : feature.name, message: bin };
      this.pending[i] = bin;
    }
    for (let i = 0; i < this.features.length; i++) {
      this.counts[i]![this.pending[i]!]!++;
      if (this.derived[i] !== undefined) this.sums[i]! += this.values[i]!;
    }
    this.rows++;
    return undefined;
  }

  /**
   * Counts the record `source` (a counter of the same features) counted last, without reading it
   * again: a segment's counter takes the record its window's counter just took.
   */
  addLastOf(source: ProfileCounter): void {
    for (let i = 0; i < this.features.length; i++) {
      this.counts[i]![source.pending[i]!]!++;
      if (this.derived[i] !== undefined) this.sums[i]! += source.values[i]!;
    }
    this.rows++;
  }

  /** The bin of feature `i` the last record `add` counted fell in (meaningless after an `add` that returned a problem). */
  lastBin(i: number): number {
    return this.pending[i]!;
  }

  /** Runs every projection on the record; a problem names the projection's column. */
  private project(record: InputRecord): ValueProblem | undefined {
    for (let p = 0; p < this.projectors.length; p++) {
      const projector = this.projectors[p]!;
      const result = projector.project(record);
      if (typeof result === 'string') return { field: projector.column, message: result };
      this.projected[p] = result;
    }
    return undefined;
  }

  /** Zeroes every count (reuse between windows without reallocating). */
  reset(): void {
    for (const c of this.counts) c.fill(0);
    this.sums.fill(0);
    this.rows = 0;
  }

  /** Adds counts counted elsewhere in the same layout (another agent's window): fleet merging is addition. */
  merge(counts: readonly ArrayLike<number>[], rows: number, sums?: ArrayLike<number>): void {
    if (counts.length !== this.counts.length) throw new RangeError(`expected ${this.counts.length} features, got ${counts.length}`);
    counts.forEach((c, i) => {
      const mine = this.counts[i]!;
      if (c.length !== mine.length) throw new RangeError(`feature ${i}: expected ${mine.length} bins, got ${c.length}`);
      for (let b = 0; b < c.length; b++) mine[b]! += c[b]!;
    });
    if (sums !== undefined) {
      const add = this.checkedSums(sums);
      for (let i = 0; i < add.length; i++) this.sums[i]! += add[i]!;
    } else this.forgetSums();
    this.rows += rows;
  }

  /** Restores counts saved by a checkpoint (same profile, same layout). */
  restore(counts: readonly ArrayLike<number>[], rows: number, sums?: ArrayLike<number>): void {
    if (counts.length !== this.counts.length) throw new RangeError(`expected ${this.counts.length} features, got ${counts.length}`);
    counts.forEach((c, i) => {
      if (c.length !== this.counts[i]!.length) throw new RangeError(`feature ${i}: expected ${this.counts[i]!.length} bins, got ${c.length}`);
      this.counts[i]!.set(c);
    });
    this.sums.fill(0);
    if (sums !== undefined) this.sums.set(this.checkedSums(sums));
    else this.forgetSums();
    this.rows = rows;
  }

  /** Counts came without their sums: the derived features' sums are unknown (NaN), so no mean is tested. */
  private forgetSums(): void {
    for (let i = 0; i < this.sums.length; i++) if (this.derived[i] !== undefined) this.sums[i] = NaN;
  }

  private checkedSums(sums: ArrayLike<number>): ArrayLike<number> {
    if (sums.length !== this.sums.length) throw new RangeError(`expected ${this.sums.length} sums, got ${sums.length}`);
    return sums;
  }
}
