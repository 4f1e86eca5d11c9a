import { totalmem } from 'node:os';
import { z } from 'zod';
import { DwError } from '../../platform/errors.js';

/** Options of `driftwatch baseline build`. */
export const buildOptionsSchema = z
  .object({
    /** Quantile bins per numeric feature (before tied quantiles merge). */
    bins: z.number().int().min(2).max(1000).default(10),
    /** Categories kept per categorical feature; the rest fall into "other". */
    topK: z.number().int().min(1).max(1000).default(20),
    /** Columns to treat as categorical whatever their values. */
    categorical: z.array(z.string().min(1)).default([]),
    /** Columns to treat as numeric whatever their values. */
    numeric: z.array(z.string().min(1)).default([]),
    /** Columns to leave out (identifiers, free text, labels of ground truth). */
    exclude: z.array(z.string().min(1)).default([]),
    /** Column holding the model's confidence (max class probability). */
    confidenceColumn: z.string().min(1).optional(),
    /** Column holding the predicted class. */
    predictionColumn: z.string().min(1).optional(),
    /** Column holding the class-probability vector (JSON array); gives confidence, class and entropy. */
    probabilityColumn: z.string().min(1).optional(),
    /**
     * Column holding the ground truth (the class the prediction should have been): with it, the
     * baseline keeps per confidence bin how many predictions were right, which calibrates the
     * agent's label-free accuracy estimate. Needs a prediction and a confidence signal.
     */
    labelColumn: z.string().min(1).optional(),
    /** Integer columns with at most this many distinct values are auto-detected as categorical. */
    maxCategoricalDistinct: z.number().int().min(0).max(64).default(10),
    /**
     * Fit a PCA over the numeric and categorical inputs and watch each row's reconstruction error
     * (docs/drift-statistics.md). Unset: on when there are at least 3 numeric inputs, and left out
     * with a warning when it cannot be fitted; true: an unfittable model is an error.
     */
    multivariate: z.boolean().optional(),
    /** Share of the variance the kept principal components must exceed. */
    pcaVariance: z.number().gt(0).lt(1).default(0.65),
    /**
     * Rows each half of a projection's fit uses at most (the fit, and the held-out rows its error
     * is measured on): beyond 2 × fitRows countable rows, every k-th row of each half. The axes and
     * the error's deciles are settled long before; more rows only cost time.
     */
    fitRows: z.number().int().min(1000).default(100_000),
    /** Columns holding a numeric vector (an embedding) to watch through its own PCA. */
    embedding: z.array(z.string().min(1)).default([]),
    /** Principal-component scores of each embedding kept as features. */
    embeddingScores: z.number().int().min(0).max(20).default(3),
    /**
     * Memory the columnar engine may use (MiB); beyond it, it spills to a temporary folder. Unset:
     * half the machine's memory, between 256 MiB and 4 GiB (defaultMemoryLimitMiB).
     */
    memoryLimitMiB: z.number().int().min(64).max(1_048_576).optional(),
    /** Threads of the columnar engine (default: every core). With 1 the build is repeatable bit for bit. */
    threads: z.number().int().min(1).max(256).optional(),
    /** Malformed rows: stop (`fail`) or report and skip (`skip`). */
    onError: z.enum(['skip', 'fail']).default('fail'),
  })
  .strict();

export type BuildOptions = z.infer<typeof buildOptionsSchema>;

/** The engine's memory limit when none is given: half the machine's memory, at least 256 MiB, at most 4 GiB. */
export function defaultMemoryLimitMiB(): number {
  return Math.max(256, Math.min(4096, Math.floor(totalmem() / 2 / 1048576)));
}

/** Validates options and rejects conflicts, naming both sides. */
export function parseBuildOptions(input: unknown): BuildOptions {
  const parsed = buildOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.');
    throw new DwError('DW_ERR_BASELINE_OPTIONS', `${field}: ${issue.message}`, { field });
  }
  const options = parsed.data;
  const roles = new Map<string, string>();
  const claim = (column: string | undefined, role: string): void => {
    if (column === undefined) return;
    const previous = roles.get(column);
    if (previous !== undefined && previous !== role) {
      throw new DwError('DW_ERR_BASELINE_OPTIONS', `column '${column}' is named by both ${previous} and ${role}`, { field: column });
    }
    roles.set(column, role);
  };
  options.exclude.forEach((c) => claim(c, '--exclude'));
  options.numeric.forEach((c) => claim(c, '--numeric'));
  options.categorical.forEach((c) => claim(c, '--categorical'));
  claim(options.confidenceColumn, '--confidence-column');
  claim(options.predictionColumn, '--prediction-column');
  claim(options.probabilityColumn, '--probability-column');
  claim(options.labelColumn, '--label-column');
  options.embedding.forEach((c) => claim(c, '--embedding-column'));
  if (options.labelColumn !== undefined && options.probabilityColumn === undefined && (options.predictionColumn === undefined || options.confidenceColumn === undefined)) {
    throw new DwError('DW_ERR_BASELINE_OPTIONS', '--label-column needs the model\'s prediction and confidence: --prediction-column and --confidence-column, or --probability-column', { field: 'labelColumn' });
  }
  return options;
}
