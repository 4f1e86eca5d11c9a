/**
 * A window's realised performance from its joined labels, as the agent keeps them: counts per
 * (predicted class, true class, confidence bin), classes as indices into the baseline's
 * prediction categories. No single prediction is needed, and none is kept.
 */

/** Labelled predictions of one (predicted class, true class, confidence bin). */
export interface LabelledCell {
  predicted: number;
  truth: number;
  bin: number;
  count: number;
}

/** Accuracy per confidence bin: the calibration the window's labels show. */
export interface BinPerformance {
  n: number;
  /** Undefined for a bin without labelled predictions. */
  accuracy: number | undefined;
}

export interface RealisedPerformance {
  /** Labelled predictions. */
  n: number;
  accuracy: number;
  perBin: BinPerformance[];
  /** For a model of two classes. A ratio whose denominator is 0 is undefined. */
  binary?: { positive: number; precision: number | undefined; recall: number | undefined; rocAuc: number | undefined };
}

/**
 * ROC AUC from the bins: the score of a prediction of the positive class in bin b ranks above the
 * same prediction in bin b - 1, and above every prediction of the other class, whose order is the
 * reverse (a more confident negative is a lower score). Ties count a half (the Mann–Whitney
 * statistic, which is what the trapezoidal ROC area equals).
 */
function rocAuc(cells: readonly LabelledCell[], bins: number, positive: number): number | undefined {
  // Per ordinal score 0..2·bins-1: labelled positives and negatives.
  const pos = new Array<number>(2 * bins).fill(0);
  const neg = new Array<number>(2 * bins).fill(0);
  for (const c of cells) {
    const score = c.predicted === positive ? bins + c.bin : bins - 1 - c.bin;
    (c.truth === positive ? pos : neg)[score]! += c.count;
  }
  const positives = pos.reduce((a, b) => a + b, 0);
  const negatives = neg.reduce((a, b) => a + b, 0);
  if (positives === 0 || negatives === 0) return undefined;
  let below = 0; // negatives with a lower score than the current one
  let wins = 0;
  for (let s = 0; s < pos.length; s++) {
    wins += pos[s]! * (below + neg[s]! / 2);
    below += neg[s]!;
  }
  return wins / (positives * negatives);
}

const ratio = (a: number, b: number): number | undefined => (b > 0 ? a / b : undefined);

/**
 * Accuracy, accuracy per confidence bin, and for two classes precision, recall and ROC AUC of
 * `positive` (default the second class). Undefined without labelled predictions.
 */
export function realisedPerformance(cells: readonly LabelledCell[], classes: number, bins: number, positive = 1): RealisedPerformance | undefined {
  const perBin = Array.from({ length: bins }, () => ({ n: 0, right: 0 }));
  let n = 0;
  let right = 0;
  for (const c of cells) {
    if (c.predicted < 0 || c.predicted >= classes || c.truth < 0 || c.truth >= classes || c.bin < 0 || c.bin >= bins) {
      throw new RangeError(`cell (${c.predicted}, ${c.truth}, ${c.bin}) outside ${classes} classes and ${bins} bins`);
    }
    n += c.count;
    perBin[c.bin]!.n += c.count;
    if (c.predicted === c.truth) {
      right += c.count;
      perBin[c.bin]!.right += c.count;
    }
  }
  if (n === 0) return undefined;
  const out: RealisedPerformance = { n, accuracy: right / n, perBin: perBin.map((b) => ({ n: b.n, accuracy: ratio(b.right, b.n) })) };
  if (classes === 2) {
    const sum = (f: (c: LabelledCell) => boolean): number => cells.reduce((s, c) => s + (f(c) ? c.count : 0), 0);
    const tp = sum((c) => c.predicted === positive && c.truth === positive);
    out.binary = {
      positive,
      precision: ratio(tp, sum((c) => c.predicted === positive)),
      recall: ratio(tp, sum((c) => c.truth === positive)),
      rocAuc: rocAuc(cells, bins, positive),
    };
  }
  return out;
}
