import { randomInt } from 'node:crypto';

/** Uniform integer in [0, n), from a cryptographically secure source. */
export type UniformInt = (n: number) => number;

const secureUniform: UniformInt = (n) => randomInt(0, n);

/** Bernoulli(num / den), exactly. */
function bernoulli(num: number, den: number, uniform: UniformInt): boolean {
  return uniform(den) < num;
}

/** Bernoulli(exp(-num/den)) for num/den in [0, 1], exactly (Canonne, Kamath, Steinke 2020, Algorithm 1). */
function bernoulliExpSmall(num: number, den: number, uniform: UniformInt): boolean {
  let k = 1;
  while (bernoulli(num, den * k, uniform)) k++;
  return k % 2 === 1;
}

/** Bernoulli(exp(-num/den)) for any num/den ≥ 0, exactly. */
function bernoulliExp(num: number, den: number, uniform: UniformInt): boolean {
  let rest = num;
  while (rest > den) {
    if (!bernoulliExpSmall(1, 1, uniform)) return false;
    rest -= den;
  }
  return bernoulliExpSmall(rest, den, uniform);
}

/**
 * One draw of the discrete Laplace distribution with scale t/s, P(x) ∝ exp(-|x|·s/t) on the
 * integers, by the exact sampler of Canonne, Kamath and Steinke ("The Discrete Gaussian for
 * Differential Privacy", 2020, Algorithm 2): integer arithmetic and fair coins only, so no
 * floating-point artefact can leak the value it is added to. `t` and `s` are positive integers.
 */
export function sampleDiscreteLaplace(t: number, s: number, uniform: UniformInt = secureUniform): number {
  if (!Number.isSafeInteger(t) || !Number.isSafeInteger(s) || t < 1 || s < 1) throw new RangeError('the scale t/s needs positive integers');
  for (;;) {
    const u = uniform(t);
    if (!bernoulliExp(u, t, uniform)) continue;
    let v = 0;
    while (bernoulliExp(1, 1, uniform)) v++;
    const y = Math.floor((u + t * v) / s);
    const negative = bernoulli(1, 2, uniform);
    if (negative && y === 0) continue;
    return negative ? -y : y;
  }
}

/** The scale Δ/ε as integers t/s for the sampler, with ε rounded to the nearest millionth. */
export function laplaceScale(sensitivity: number, epsilon: number): { t: number; s: number } {
  const s = Math.round(epsilon * 1e6);
  if (s < 1) throw new RangeError('epsilon must be at least 1e-6');
  return { t: sensitivity * 1e6, s };
}
