import { z } from 'zod';
import { isLoopback } from '../../shared/platform/config/config-file.js';
import { modelMappingShape, refineMapping } from './model-mapping-config.js';

/** One InferenceService whose logged exchanges are read. */
const loggedModelSchema = z
  .object({
    ...modelMappingShape,
    /** The InferenceService's name (the `ce-inferenceservicename` of its events); defaults to `name`. */
    inferenceService: z.string().min(1).optional(),
  })
  .strict()
  .superRefine(refineMapping);

/**
 * The sink for KServe's InferenceService logger (docs/sources.md): the predictor's
 * `spec.predictor.logger.url` points here; request and response CloudEvents are joined on `ce-id`.
 */
export const kserveLoggerConfigSchema = z
  .object({
    /** Loopback: the logger runs in the same pod (the sink takes no token, KServe's logger sends none). */
    host: z.string().default('127.0.0.1').refine((h) => isLoopback(h.replace(/^\[|\]$/g, '')),
      "must be loopback: run the agent in the InferenceService's pod and point spec.predictor.logger.url at http://127.0.0.1:<port>"),
    port: z.number().int().min(0).max(65535).default(8082),
    /** How long a request waits for its response (and a response for its request) before it is counted unmatched. */
    joinTimeoutSeconds: z.number().min(1).max(3600).default(30),
    /** Most halves waiting for their other half, and most bytes they hold; past either a new half is counted (`pending_full`) and not kept. */
    maxPending: z.number().int().min(1).max(1_000_000).default(10_000),
    maxPendingBytes: z.number().int().min(1024).max(4 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
    /** Largest event body read; a larger one is answered 413 and counted. */
    maxBodyBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(16 * 1024 * 1024),
    models: z.array(loggedModelSchema).min(1),
  })
  .strict();

export type KserveLoggerConfig = z.infer<typeof kserveLoggerConfigSchema>;
