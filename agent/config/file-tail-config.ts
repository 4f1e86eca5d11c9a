import { z } from 'zod';

/** A field of a log line, as a dot path into its JSON (`request.features`, `prediction.label`). */
const dotPath = z.string().min(1).max(200).regex(/^[^.]+(\.[^.]+)*$/, 'must be a dot path like request.features.age');

/**
 * One request log followed line by line (docs/sources.md#jsonl-file-tail): each line a JSON
 * object, mapped to an event of `model`.
 */
export const fileSourceSchema = z
  .object({
    /** The file, or a glob in its name (`/var/log/inference/requests-*.jsonl`); relative paths resolve against the config file. */
    path: z.string().min(1).refine((p) => !/[*?[]/.test(p.split('/').slice(0, -1).join('/')), 'wildcards are allowed in the file name only, not in its directories'),
    /** The driftwatch model (one of `models[].name`) the lines count toward. */
    model: z.string().min(1),
    /** Where the features are: an object whose keys are the feature names. */
    features: dotPath.optional(),
    /** Or feature by feature: feature name → its field. */
    fields: z.record(z.string().min(1), dotPath).optional(),
    /** The prediction's fields, each optional. */
    prediction: z.object({ label: dotPath.optional(), confidence: dotPath.optional(), probabilities: dotPath.optional() }).strict().optional(),
    /** The event's time (ISO 8601 or epoch ms), with `windows.clock: event`. */
    timestamp: dotPath.optional(),
    /** The model version, one of the model's `versions`. */
    version: dotPath.optional(),
    /** The inference's id, for delayed labels (`POST /v1/labels`). */
    id: dotPath.optional(),
    /** Where to begin a file found at the very first start (no saved offset): its `end` (lines already there are history) or its `beginning`. */
    startAt: z.enum(['end', 'beginning']).default('end'),
    /** How often the files are looked at. */
    pollMs: z.number().int().min(20).max(60_000).default(500),
    /** A longer line is skipped (counted as `too_long`). */
    maxLineBytes: z.number().int().min(256).max(16 * 1024 * 1024).default(1024 * 1024),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.features === undefined && f.fields === undefined) ctx.addIssue({ code: 'custom', path: ['features'], message: 'name where the features are (features) or map them field by field (fields)' });
  });

export type FileSourceConfig = z.infer<typeof fileSourceSchema>;
