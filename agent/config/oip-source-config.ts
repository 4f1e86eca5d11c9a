import { z } from 'zod';
import { upstreamSchema } from './upstream-schema.js';
import { modelMappingShape, refineMapping } from './model-mapping-config.js';

/** One model the proxy reads. */
const oipModelSchema = z
  .object({
    ...modelMappingShape,
    /** The model's name in the inference server's URL (`/v2/models/{serverModel}/infer`, `/v1/models/{serverModel}:predict`); defaults to `name`. */
    serverModel: z.string().min(1).optional(),
  })
  .strict()
  .superRefine(refineMapping);

/**
 * The inference reverse proxy (docs/sources.md): clients send inference requests here instead of
 * to the server (Open Inference Protocol v2, KServe v1); each is forwarded unchanged and counted.
 */
export const oipSourceConfigSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8081),
    /**
     * The inference server's base URL on this host, e.g. http://127.0.0.1:8080 (MLServer, KServe,
     * Triton): loopback only, since only the egress door sends bytes off the host.
     */
    upstream: upstreamSchema('inference server'),
    /** Largest body copied for counting, each way; a larger one is forwarded unread (counted as `too_large`). */
    copyLimitBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(16 * 1024 * 1024),
    /** Read each mapped model's metadata (`GET /v2/models/{m}`) at start and check the mapping against it. */
    checkMetadata: z.boolean().default(true),
    models: z.array(oipModelSchema).min(1),
  })
  .strict();

export type OipSourceConfig = z.infer<typeof oipSourceConfigSchema>;
