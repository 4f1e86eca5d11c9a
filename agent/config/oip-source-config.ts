import { z } from 'zod';
import { isLoopback } from '../../shared/platform/config/config-file.js';

const tensorName = z.string().min(1).max(256);

/** One model's tensors (agent/sources/oip/oip-events.ts TensorMapping). */
const oipModelSchema = z
  .object({
    /** The driftwatch model (one of `models[].name`) these exchanges count toward. */
    name: z.string().min(1),
    /** The model's name in the inference server's URL (`/v2/models/{serverModel}/infer`); defaults to `name`. */
    serverModel: z.string().min(1).optional(),
    /** Request tensors: `{tensor, columns: [...]}` for an `[N, F]` tensor, `{tensor, feature}` for one feature per tensor. */
    inputs: z.array(z.union([
      z.object({ tensor: tensorName, columns: z.array(z.string().min(1)).min(1) }).strict(),
      z.object({ tensor: tensorName, feature: z.string().min(1) }).strict(),
    ])).min(1),
    /** Response tensors: `probabilities` (`[N, C]`), `label` or `confidence` (one value a row). */
    outputs: z.array(z.object({ tensor: tensorName, role: z.enum(['probabilities', 'label', 'confidence']) }).strict()).default([]),
  })
  .strict();

/**
 * The Open Inference Protocol v2 reverse proxy (docs/sources.md): clients send inference requests
 * here instead of to the server; each is forwarded unchanged and its tensors counted.
 */
export const oipSourceConfigSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8081),
    /**
     * The inference server's base URL on this host, e.g. http://127.0.0.1:8080 (MLServer, KServe,
     * Triton): loopback only, since only the egress door sends bytes off the host.
     */
    upstream: z.string().url().refine((u) => !URL.canParse(u) || isLoopback(new URL(u).hostname.replace(/^\[|\]$/g, '')),
      'must be on this host (loopback): the proxy sits beside the inference server, and only the egress door sends bytes off the host'),
    /** Largest body copied for counting, each way; a larger one is forwarded unread (counted as `too_large`). */
    copyLimitBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(16 * 1024 * 1024),
    models: z.array(oipModelSchema).min(1),
  })
  .strict();

export type OipSourceConfig = z.infer<typeof oipSourceConfigSchema>;
