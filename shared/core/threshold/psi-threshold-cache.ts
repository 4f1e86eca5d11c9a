import type { Counts } from '../divergence/proportions.js';
import { hashSeed } from '../stats/seeded-random.js';
import { asymptoticPsiThreshold } from './asymptotic-psi-threshold.js';
import { MonteCarloRun } from './monte-carlo-psi-threshold.js';
import { upperBoundDrawCount, upperQuantileRank } from './quantile-upper-bound.js';

/** How significance thresholds are computed. */
export interface PsiThresholdSettings {
  /** PSI ε floor. */
  epsilon: number;
  /**
   * Monte-Carlo is used while the smallest occupied baseline bin expects fewer than this many
   * window rows (n · p_min): there the χ² form underestimates the tail.
   */
  monteCarloMinExpected: number;
  /** Above this many rows the χ² form is used whatever the bins. */
  monteCarloMaxN: number;
  /** Simulated windows per Monte-Carlo threshold; 0 = automatic (see {@link monteCarloDrawCount}). */
  monteCarloDraws: number;
  /**
   * Differential-privacy noise on released counts (discrete Laplace, scale t/s). With it every
   * threshold is simulated with the noise included: sampling noise alone would be exceeded by the
   * privacy noise on windows without drift.
   */
  noise?: { t: number; s: number };
}

/** What one feature's threshold depends on. */
export interface ThresholdRequest {
  featureName: string;
  baselineCounts: Counts;
  baselineN: number;
  n: number;
  alpha: number;
}

const MAX_ENTRIES = 4096;
/**
 * Upper bound on draws × n for one automatic threshold: the precision rule of the first sampler,
 * which drew row by row; draws now cost a step per bin (see multinomial-sampler.ts), so such a
 * threshold takes 10–50 ms.
 */
const MAX_SIMULATED_ROWS = 10_000_000;
/** Bin steps (one bin of one simulated window, ~40 ns) between yields to the event loop: ~4 ms. */
const SLICE_STEPS = 100_000;
const GRID_STEP = Math.log(1.025);
/**
 * A close uses a smaller window size's cached threshold instead of simulating only when that size
 * is at least this share of the window's: its threshold is then at most about a quarter higher
 * (PSI's no-drift quantile falls roughly as 1/n), a small, one-off loss of power.
 */
const CLOSE_FALLBACK_RATIO = 0.8;
/** Confidence that a close's quick bound (see {@link PsiThresholdCache.prepareQuick}) is at or above the exact threshold. */
const QUICK_CONFIDENCE = 0.95;
/**
 * Bin steps a close may spend on quick bounds, over all its features: about 0.4 s of one core.
 * Beyond it the remaining thresholds are simulated in full, as before.
 */
const QUICK_BUDGET_STEPS = 10_000_000;

/**
 * Automatic number of Monte-Carlo draws: 200 / α (about 200 simulated windows beyond the
 * quantile, so its tail probability is known to ±7 %), at least 10 000, but no more than
 * {@link MAX_SIMULATED_ROWS} rows in all and never fewer than 2 000 draws.
 */
export function monteCarloDrawCount(alpha: number, n: number): number {
  return Math.max(2_000, Math.min(Math.max(10_000, Math.ceil(200 / alpha)), Math.floor(MAX_SIMULATED_ROWS / Math.max(1, n))));
}

/**
 * The window size a threshold is computed for: n rounded down to a geometric grid with 2.5 %
 * steps (exact below 40). Thresholds shrink as n grows, so rounding down is conservative, and
 * windows of similar size share one cached threshold.
 */
export function thresholdGridN(n: number): number {
  if (n < 40) return n;
  // Grid points are ⌊1.025^k⌋; take the largest one ≤ n (checking neighbours against rounding).
  const k = Math.floor(Math.log(n) / GRID_STEP);
  for (let j = k + 1; j > k - 2; j--) {
    const g = Math.floor(Math.exp(j * GRID_STEP));
    if (g <= n) return g;
  }
  return n;
}

interface Plan {
  key: string;
  gridN: number;
  df: number;
  monteCarlo: boolean;
  /** Simulate bin counts from their normal approximation (large windows with privacy noise). */
  approximate: boolean;
}

/** Where scoring gets a feature's PSI threshold for a window of `n` rows. */
export interface ThresholdSource {
  threshold(featureName: string, baselineCounts: Counts, baselineN: number, n: number, alpha: number): number;
}

/**
 * The significance threshold of PSI for a feature and window size, computed once and cached.
 * Use one cache per baseline profile. Monte-Carlo thresholds cost up to ~50 ms (more with privacy noise); `prepare` computes
 * the missing ones in slices that yield to the event loop, after which `threshold` answers from
 * the cache at once.
 */
export class PsiThresholdCache implements ThresholdSource {
  private readonly cache = new Map<string, number>();
  /** Per feature and alpha, the window sizes whose Monte-Carlo thresholds are cached. */
  private readonly simulatedSizes = new Map<string, Set<number>>();
  /** Thresholds a close judged by a smaller size's instead, to simulate in the background. */
  private readonly wanted = new Map<string, ThresholdRequest>();
  /** Quick upper bounds closes used for thresholds not simulated yet (see {@link prepareQuick}). */
  private readonly quick = new Map<string, number>();

  constructor(private readonly settings: PsiThresholdSettings) {}

  /** Number of cached thresholds (for tests and status). */
  get size(): number {
    return this.cache.size;
  }

  private plan(r: ThresholdRequest): Plan {
    const gridN = thresholdGridN(r.n);
    let occupied = 0;
    let smallest = Infinity;
    for (let i = 0; i < r.baselineCounts.length; i++) {
      const c = r.baselineCounts[i]!;
      if (c > 0) {
        occupied++;
        smallest = Math.min(smallest, c);
      }
    }
    const df = Math.max(0, occupied - 1);
    const noisy = this.settings.noise !== undefined;
    const small = (gridN * smallest) / r.baselineN < this.settings.monteCarloMinExpected && gridN <= this.settings.monteCarloMaxN;
    const monteCarlo = df > 0 && (small || noisy);
    return { key: `${r.featureName}\u0000${gridN}\u0000${r.alpha}`, gridN, df, monteCarlo, approximate: noisy && gridN > this.settings.monteCarloMaxN };
  }

  /** Draws simulated between yields to the event loop. */
  private static sliceDraws(r: ThresholdRequest): number {
    return Math.max(1, Math.floor(SLICE_STEPS / r.baselineCounts.length));
  }

  private run(r: ThresholdRequest, plan: Plan, quickDraws?: number): MonteCarloRun {
    const draws = quickDraws ?? (this.settings.monteCarloDraws > 0 ? this.settings.monteCarloDraws : monteCarloDrawCount(r.alpha, plan.approximate ? r.baselineCounts.length : plan.gridN));
    // A quick bound draws its own windows, independent of the full simulation's.
    const seed = (hashSeed(r.featureName) ^ plan.gridN) ^ (quickDraws === undefined ? 0 : 0x5bd1e995);
    return new MonteCarloRun(r.baselineCounts, r.baselineN, plan.gridN, r.alpha, {
      draws, seed, epsilon: this.settings.epsilon,
      ...(this.settings.noise === undefined ? {} : { noise: this.settings.noise, approximate: plan.approximate }),
    });
  }

  private store(key: string, value: number, simulated?: { request: ThresholdRequest; gridN: number }): number {
    if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, value);
    this.quick.delete(key);
    if (simulated !== undefined) {
      const family = `${simulated.request.featureName}\u0000${simulated.request.alpha}`;
      const sizes = this.simulatedSizes.get(family) ?? new Set<number>();
      sizes.add(simulated.gridN);
      this.simulatedSizes.set(family, sizes);
    }
    return value;
  }

  /**
   * The threshold of the largest window size below `gridN`, and at least 0.8 of it, whose
   * simulation is cached for this feature and alpha. PSI's no-drift quantile falls as windows grow, so it is higher than the
   * exact one: judging by it never adds false alarms, and costs a little power.
   */
  private cachedBelow(r: ThresholdRequest, gridN: number): number | undefined {
    let best: number | undefined;
    for (const size of this.simulatedSizes.get(`${r.featureName}\u0000${r.alpha}`) ?? []) {
      if (size < gridN && size >= CLOSE_FALLBACK_RATIO * gridN && (best === undefined || size > best) && this.cache.has(`${r.featureName}\u0000${size}\u0000${r.alpha}`)) best = size;
    }
    return best === undefined ? undefined : this.cache.get(`${r.featureName}\u0000${best}\u0000${r.alpha}`);
  }

  /**
   * The thresholds for closing a window, which never waits for a simulation when one can be
   * avoided: a cached or analytic threshold as `threshold` gives it; a Monte-Carlo one not cached
   * yet is replaced by the next smaller size's (conservative, see `cachedBelow`) and queued for
   * {@link takePending}; only with no size between 0.8 and 1 of the window's cached (a model's first
   * window of a new size) is it simulated.
   */
  forClosing(): ThresholdSource {
    return {
      threshold: (featureName, baselineCounts, baselineN, n, alpha) => {
        const request = { featureName, baselineCounts, baselineN, n, alpha };
        const plan = this.plan(request);
        if (!plan.monteCarlo || this.cache.has(plan.key)) return this.threshold(featureName, baselineCounts, baselineN, n, alpha);
        const stand = this.cachedBelow(request, plan.gridN) ?? this.quick.get(plan.key);
        if (stand === undefined) return this.threshold(featureName, baselineCounts, baselineN, n, alpha);
        this.wanted.set(plan.key, request);
        return stand;
      },
    };
  }

  /** Whether closing with these thresholds would have to simulate one (nothing cached for it, nor for a smaller size, nor a quick bound). */
  wouldSimulate(requests: readonly ThresholdRequest[]): boolean {
    return requests.some((r) => {
      const plan = this.plan(r);
      return plan.monteCarlo && !this.cache.has(plan.key) && !this.quick.has(plan.key) && this.cachedBelow(r, plan.gridN) === undefined;
    });
  }

  /**
   * For a close that would otherwise simulate: a quick upper bound on each missing threshold from
   * a few thousand draws (see quantile-upper-bound.ts), at or above the exact one with 95 %
   * confidence, so the window is judged at once without more false alarms; `forClosing` answers
   * with it and queues the exact simulation for the background. Spends at most `budgetSteps`
   * bin steps in all, yielding to the event loop between slices; thresholds beyond the budget
   * (or whose α needs too many draws for a bound) are left to `prepare`.
   */
  async prepareQuick(requests: readonly ThresholdRequest[], budgetSteps = QUICK_BUDGET_STEPS): Promise<void> {
    let spent = 0;
    for (const r of requests) {
      const plan = this.plan(r);
      if (!plan.monteCarlo || this.cache.has(plan.key) || this.quick.has(plan.key)) continue;
      const draws = upperBoundDrawCount(r.alpha, QUICK_CONFIDENCE);
      const rank = upperQuantileRank(draws, r.alpha, QUICK_CONFIDENCE);
      const steps = draws * r.baselineCounts.length;
      if (rank === undefined || spent + steps > budgetSteps) continue;
      spent += steps;
      const run = this.run(r, plan, draws);
      const slice = PsiThresholdCache.sliceDraws(r);
      while (!run.advance(slice)) await new Promise((resolve) => setImmediate(resolve));
      if (this.quick.size >= MAX_ENTRIES) this.quick.delete(this.quick.keys().next().value!);
      this.quick.set(plan.key, run.orderStatistic(rank));
    }
  }

  /** The thresholds closes had to approximate, taken once: for a background `prepare`. */
  takePending(): ThresholdRequest[] {
    const out = [...this.wanted.values()];
    this.wanted.clear();
    return out;
  }

  /** The (1 − alpha) no-drift quantile of PSI for a window of `n` rows (computed now if not cached). */
  threshold(featureName: string, baselineCounts: Counts, baselineN: number, n: number, alpha: number): number {
    const request = { featureName, baselineCounts, baselineN, n, alpha };
    const plan = this.plan(request);
    const hit = this.cache.get(plan.key);
    if (hit !== undefined) return hit;
    if (plan.df === 0) return this.store(plan.key, 0);
    if (!plan.monteCarlo) return this.store(plan.key, asymptoticPsiThreshold(plan.df, plan.gridN, baselineN, alpha));
    const run = this.run(request, plan);
    run.advance(Number.MAX_SAFE_INTEGER);
    return this.store(plan.key, run.threshold(), { request, gridN: plan.gridN });
  }

  /**
   * Computes the Monte-Carlo thresholds these requests need and are not cached, yielding to the
   * event loop every ~4 ms. The values are identical to `threshold`'s.
   */
  async prepare(requests: readonly ThresholdRequest[]): Promise<void> {
    for (const r of requests) {
      const plan = this.plan(r);
      if (!plan.monteCarlo || this.cache.has(plan.key)) continue;
      const run = this.run(r, plan);
      const slice = PsiThresholdCache.sliceDraws(r);
      while (!run.advance(slice)) await new Promise((resolve) => setImmediate(resolve));
      this.store(plan.key, run.threshold(), { request: r, gridN: plan.gridN });
    }
  }
}
