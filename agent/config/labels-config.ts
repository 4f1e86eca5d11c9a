import { z } from 'zod';

/** Delayed labels (`POST /v1/labels`, docs/agent.md#delayed-labels); the section's presence turns them on. */
export const labelsConfigSchema = z
  .object({
    /** Inferences are remembered for labels this long; a later label is refused as `unknown_id`. */
    maxAgeDays: z.number().int().min(1).max(365).default(30),
    /** The remembered inferences never take more than this in the state file (about 96 bytes each); the oldest go first. */
    maxBytes: z.number().int().min(1024 * 1024).max(16 * 1024 * 1024 * 1024).default(256 * 1024 * 1024),
    /** A window's realised performance ships once it has this many labels (and at least privacy.minCount). */
    minLabels: z.number().int().min(1).max(1_000_000).default(50),
    /** How often new labels are shipped, seconds. */
    shipSeconds: z.number().int().min(1).max(3600).default(10),
  })
  .strict();

export type LabelsConfig = z.infer<typeof labelsConfigSchema>;
