/** Statistics of one probability vector. */
export interface VectorSummary {
  /** Largest probability (the model's confidence). */
  max: number;
  /** Index of the largest probability (the predicted class); the first on ties. */
  argmax: number;
  /** Shannon entropy in nats of the vector normalised to sum 1. */
  entropy: number;
}

/**
 * Reads a probability vector (a JSON array, or its text in a CSV cell) and summarises it.
 * Returns a reason string when the value is not a non-empty vector of non-negative numbers.
 */
export function summariseProbabilities(value: unknown): VectorSummary | string {
  let vector = value;
  if (typeof vector === 'string') {
    try {
      vector = JSON.parse(vector);
    } catch {
      return 'is not a JSON array of probabilities';
    }
  }
  if (!Array.isArray(vector) || vector.length === 0) return 'is not a non-empty array of probabilities';
  let sum = 0;
  let max = -Infinity;
  let argmax = 0;
  for (let i = 0; i < vector.length; i++) {
    const p: unknown = vector[i];
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0) return `has a bad entry at index ${i}`;
    sum += p;
    if (p > max) {
      max = p;
      argmax = i;
    }
  }
  if (sum <= 0) return 'sums to zero';
  let entropy = 0;
  for (const p of vector as number[]) if (p > 0) entropy -= (p / sum) * Math.log(p / sum);
  return { max, argmax, entropy };
}
