import { z } from 'zod';

/** Fleet mode: closed windows to a driftwatch collector (or any OTLP receiver) over OTLP/HTTP. */
export const otlpSinkConfigSchema = z
  .object({
    /** Full URL of the receiver's metrics path, e.g. https://collector.example:4318/v1/metrics. */
    endpoint: z.string().url(),
    protocol: z.enum(['http/protobuf', 'http/json']).default('http/protobuf'),
    compression: z.enum(['gzip', 'none']).default('gzip'),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    /** Bearer token the collector expects. */
    token: z.string().min(16).optional(),
    /** PEM files: the CA that signed the collector's certificate, and a client certificate and key for mutual TLS. */
    tls: z.object({ ca: z.string().optional(), cert: z.string().optional(), key: z.string().optional() }).strict().optional(),
    /** Send `token` over plain `http://` to a host off loopback (anyone on the path can read it); logged as a warning at start. */
    insecure: z.boolean().default(false),
  })
  .strict()
  .superRefine((otlp, ctx) => {
    if ((otlp.tls?.cert === undefined) !== (otlp.tls?.key === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'cert and key go together' });
    }
  });
