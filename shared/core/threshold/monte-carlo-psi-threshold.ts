import { flooredProportions, toProportions, type Counts } from '../divergence/proportions.js';
import { sampleDiscreteLaplace } from '../privacy/discrete-laplace.js';
import { MultinomialSampler } from '../stats/multinomial-sampler.js';
import { seededUniform } from '../stats/seeded-random.js';

/** Settings of one Monte-Carlo threshold. */
export interface MonteCarloOptions {
  /** Number of simulated windows. */
  draws: number;
  /** PRNG seed: the same seed gives the same threshold. */
  seed: number;
  /** The PSI ε floor. */
  epsilon: number;
  /** Differential-privacy noise added to each released bin count: discrete Laplace with scale t/s. */
  noise?: { t: number; s: number };
  /**
   * Draw each bin count from its normal approximation, Normal(n·p, n·p·(1 − p)) rounded, instead
   * of n categorical draws: for large windows, where only the noise needs simulating exactly.
   */
  approximate?: boolean;
}

/**
 * One Monte-Carlo threshold computation that can run in slices (`advance`), so a caller on an
 * event loop can yield between them. The result does not depend on how it was sliced.
 *
 * It simulates `draws` windows of `n` rows from the baseline proportions, takes the
 * ⌈(1 − α)(D + 1)⌉-th smallest PSI (expected exceedance ≤ α), and scales it by (1 + n/N) for the
 * baseline's own sampling noise (the two-sample factor of the χ² form).
 */
export class MonteCarloRun {
  /** Absent with `approximate`, which draws bin counts from their normal approximation instead. */
  private readonly sampler: MultinomialSampler | undefined;
  private readonly pFloored: Float64Array;
  private readonly uniform: () => number;
  private readonly uniformInt: (k: number) => number;
  private readonly p: Float64Array;
  private readonly window: Float64Array;
  private readonly stats: Float64Array;
  private done = 0;

  constructor(baselineCounts: Counts, private readonly baselineN: number, private readonly n: number,
    private readonly alpha: number, private readonly options: MonteCarloOptions) {
    const bins = baselineCounts.length;
    const p = toProportions(baselineCounts);
    this.pFloored = flooredProportions(baselineCounts, options.epsilon);
    this.uniform = seededUniform(options.seed);
    this.sampler = options.approximate === true ? undefined : new MultinomialSampler(p, n, this.uniform);
    this.uniformInt = (k) => Math.floor(this.uniform() * k);
    this.p = p;
    this.window = new Float64Array(bins);
    this.stats = new Float64Array(options.draws);
  }

  /** Simulates up to `maxDraws` more windows; returns true when all draws are done. */
  advance(maxDraws: number): boolean {
    const { sampler, pFloored, window, stats, uniform, n } = this;
    const { epsilon: eps, noise } = this.options;
    const end = Math.min(this.options.draws, this.done + maxDraws);
    for (let d = this.done; d < end; d++) {
      if (sampler === undefined) {
        for (let i = 0; i < window.length; i++) {
          const p = this.p[i]!;
          // Box–Muller: one standard normal from two uniforms.
          const z = Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
          window[i] = Math.max(0, Math.round(n * p + z * Math.sqrt(n * p * (1 - p))));
        }
      } else {
        sampler.draw(window); // every slot written
      }
      if (noise !== undefined) {
        for (let i = 0; i < window.length; i++) window[i] = Math.max(0, window[i]! + sampleDiscreteLaplace(noise.t, noise.s, this.uniformInt));
      }
      let total = 0;
      for (let i = 0; i < window.length; i++) total += window[i]!;
      const size = total > 0 ? total : 1;
      let value = 0;
      for (let i = 0; i < window.length; i++) {
        const q = Math.max(window[i]! / size, eps);
        value += (q - pFloored[i]!) * Math.log(q / pFloored[i]!);
      }
      stats[d] = value;
    }
    this.done = end;
    return this.done >= this.options.draws;
  }

  /** The threshold; call once `advance` has returned true. */
  threshold(): number {
    const draws = this.options.draws;
    return this.orderStatistic(Math.min(draws - 1, Math.max(0, Math.ceil((1 - this.alpha) * (draws + 1)) - 1)));
  }

  /** The simulated PSI of 0-based rank `rank` among the draws, scaled as `threshold` is; call once `advance` has returned true. */
  orderStatistic(rank: number): number {
    const sorted = this.stats.slice().sort();
    return sorted[Math.min(this.options.draws - 1, Math.max(0, rank))]! * (1 + this.n / this.baselineN);
  }
}

/** The (1 − α) quantile of PSI under "no drift" for small windows, computed in one go. */
export function monteCarloPsiThreshold(
  baselineCounts: Counts,
  baselineN: number,
  n: number,
  alpha: number,
  options: MonteCarloOptions,
): number {
  const run = new MonteCarloRun(baselineCounts, baselineN, n, alpha, options);
  run.advance(options.draws);
  return run.threshold();
}
