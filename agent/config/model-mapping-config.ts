import { z } from 'zod';

const tensorName = z.string().min(1).max(256);
const featureName = z.string().min(1);

/**
 * How one model's inference bodies become events, shared by the sources that read them (the
 * proxy, the KServe logger): Open Inference Protocol v2 tensors (`inputs`, `outputs`) and KServe
 * v1 instances (`v1`). agent/sources/inference/ reads them.
 */
export const modelMappingShape = {
  /** The driftwatch model (one of `models[].name`) these exchanges count toward. */
  name: z.string().min(1),
  /** v2 request tensors: `{tensor, columns: [...]}` for an `[N, F]` tensor, `{tensor, feature}` for one feature per tensor. */
  inputs: z.array(z.union([
    z.object({ tensor: tensorName, columns: z.array(featureName).min(1) }).strict(),
    z.object({ tensor: tensorName, feature: featureName }).strict(),
  ])).default([]),
  /** v2 response tensors: `probabilities` (`[N, C]`), `label` or `confidence` (one value a row). */
  outputs: z.array(z.object({ tensor: tensorName, role: z.enum(['probabilities', 'label', 'confidence']) }).strict()).default([]),
  /**
   * KServe v1 (`instances` / `predictions`): `columns` names the values of an instance that is a
   * list (an object instance names its own); `predictions` says what a one-value prediction is (a
   * list is the class probabilities).
   */
  v1: z.object({ columns: z.array(featureName).min(1).optional(), predictions: z.enum(['label', 'confidence']).default('label') }).strict().optional(),
};

/** A mapping must say how to read at least one protocol. */
export function refineMapping(m: { inputs: unknown[]; v1?: unknown }, ctx: z.RefinementCtx): void {
  if (m.inputs.length === 0 && m.v1 === undefined) ctx.addIssue({ code: 'custom', path: ['inputs'], message: 'map the v2 input tensors (inputs) or the v1 instances (v1), or both' });
}
