import { readSource, type InputRecord, type VectorCache } from '../../core/aggregation/read-source.js';
import { toNumber } from '../../core/aggregation/value-coercion.js';
import type { BaselineProfile } from '../../core/profile/baseline-profile.js';

/** A numeric feature's values in the scored file: how many were finite, their mean and standard deviation (ddof 0). */
export interface Moments {
  n: number;
  mean: number;
  sd: number;
}

/**
 * The mean and spread of each numeric column feature over the rows of an offline score, read as
 * the counter reads them (transforms applied), for the direction in words ("mean 14.1 -> 17.6,
 * +1.2 sd"). Welford's update: stable over millions of rows. Pure.
 */
export class NumericMoments {
  private readonly slots: { index: number; source: Parameters<typeof readSource>[1]; n: number; mean: number; m2: number }[];

  constructor(profile: BaselineProfile) {
    this.slots = profile.features.flatMap((f, index) => (f.type === 'numeric' && 'column' in f.source ? [{ index, source: f.source, n: 0, mean: 0, m2: 0 }] : []));
  }

  /** Adds a record the counter counted. */
  add(record: InputRecord): void {
    const cache: VectorCache = new Map();
    for (const s of this.slots) {
      const raw = readSource(record, s.source, cache);
      const x = typeof raw === 'number' ? raw : toNumber(raw);
      if (x === undefined || !Number.isFinite(x)) continue;
      s.n++;
      const delta = x - s.mean;
      s.mean += delta / s.n;
      s.m2 += delta * (x - s.mean);
    }
  }

  /** Per feature (profile order), the moments, or undefined for a feature without finite values or not numeric. */
  result(features: number): (Moments | undefined)[] {
    const out: (Moments | undefined)[] = new Array<Moments | undefined>(features).fill(undefined);
    for (const s of this.slots) if (s.n > 0) out[s.index] = { n: s.n, mean: s.mean, sd: Math.sqrt(s.m2 / s.n) };
    return out;
  }
}
