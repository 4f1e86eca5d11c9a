import { z } from 'zod';
import {
  commonSectionsShape, deepFreeze, dimensionValue, isLoopback, parseConfig, readConfigFile, refineModelsAndRetraining, requestBodyShape, resolvePaths, retrainingConfigSchema, safeDimensionName, versionDimension,
  sinksConfigShape, stateConfigSchema, windowSecondsSchema,
} from '../../shared/platform/config/config-file.js';
import { driftRuleSchema } from '../../shared/core/drift/drift-rule.js';

/** The OTLP/HTTP receiver agents export to. */
export const receiverConfigSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(4318),
    /** Required to listen off loopback, together with `token` or `tls.clientCa`. */
    allowNonLoopback: z.boolean().default(false),
    /** Bearer token every agent must send: shared, so it proves membership of the fleet, not which agent (docs/security.md). */
    token: z.string().min(16).optional(),
    /** A bearer token per agent, bound to its `instanceId`: windows under any other instance id are refused with 403. */
    agentTokens: z.array(z.object({ instance: dimensionValue, token: z.string().min(16) }).strict()).default([]),
    /** TLS from PEM files; with `clientCa`, agents must present a certificate it signed (mutual TLS). */
    tls: z.object({ cert: z.string(), key: z.string(), clientCa: z.string().optional() }).strict().optional(),
    /** Accept the agents' token in clear text off loopback (anyone on the path can read it); logged as a warning at start. */
    insecure: z.boolean().default(false),
    ...requestBodyShape,
    /** Overload: uploads beyond this many at once are answered 503 with Retry-After before their bodies are read (bounds memory). */
    maxConcurrentRequests: z.number().int().min(1).max(10_000).default(8),
    /** Overload: body bytes (after gzip decoding) all uploads in progress may hold together; beyond it, 503 with Retry-After. */
    maxBytesInFlight: z.number().int().min(1024).max(4 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  })
  .strict();

export const collectorConfigSchema = z
  .object({
    /** `Site` dimension on what the collector ships. */
    site: safeDimensionName.optional(),
    /** The models the fleet monitors, each with the baseline the agents use. */
    models: z.array(z.object({
      name: safeDimensionName,
      baseline: z.string().min(1),
      /** Model versions agents may send (the `ModelVersion` dimension); others are refused. */
      versions: z.array(versionDimension).default([]),
      /** This model's effect criterion, over `drift.effect`; must equal its agents' if they judge too. */
      effect: z.enum(['psi', 'wasserstein']).optional(),
    }).strict()).min(1),
    receiver: receiverConfigSchema.prefault({}),
    windows: z
      .object({
        /** Must equal the agents' `windows.seconds`. */
        seconds: windowSecondsSchema,
        /**
         * How long a window waits for late agents, counted from its end or from its first
         * contribution, whichever is later (so windows sent after an outage still merge).
         */
        graceSeconds: z.number().int().min(0).max(86_400).default(60),
        /** Windows ending further ahead than this are refused (clock skew). */
        maxFutureSeconds: z.number().int().min(0).max(86_400).default(300),
        /** Windows older than this are refused (CloudWatch keeps nothing older than 14 days). */
        maxAgeHours: z.number().int().min(1).max(336).default(336),
      })
      .strict()
      .prefault({}),
    drift: driftRuleSchema.prefault({}),
    retraining: retrainingConfigSchema.prefault({}),
    state: stateConfigSchema('.driftwatch/collector.db'),
    sinks: z.object(sinksConfigShape).strict().prefault({}),
    ...commonSectionsShape,
  })
  .strict()
  .superRefine((config, ctx) => {
    refineModelsAndRetraining(config, ctx);
    const r = config.receiver;
    if (!isLoopback(r.host)) {
      if (!r.allowNonLoopback) {
        ctx.addIssue({ code: 'custom', path: ['receiver', 'host'], message: `'${r.host}' is not loopback; set receiver.allowNonLoopback, and receiver.token or receiver.tls.clientCa, to listen there` });
      } else if (r.token === undefined && r.agentTokens.length === 0 && r.tls?.clientCa === undefined) {
        ctx.addIssue({ code: 'custom', path: ['receiver', 'token'], message: 'is required off loopback, unless receiver.agentTokens or receiver.tls.clientCa authenticates agents' });
      } else if (r.tls === undefined && !r.insecure) {
        ctx.addIssue({ code: 'custom', path: ['receiver', 'tls'], message: 'is required off loopback: the agents\' token would cross the network in clear text (set receiver.insecure: true to accept that)' });
      }
    }
  });

/** The settings in use that let a token cross the network in clear text, each with why: logged as warnings at start. */
export function insecureSettings(config: CollectorConfig): { field: string; message: string }[] {
  const r = config.receiver;
  const out: { field: string; message: string }[] = [];
  if (r.insecure && !isLoopback(r.host) && r.tls === undefined && (r.token !== undefined || r.agentTokens.length > 0)) {
    out.push({ field: 'receiver.insecure', message: `The receiver listens on ${r.host} without TLS: the agents' token crosses the network in clear text (receiver.insecure).` });
  }
  if (r.token !== undefined && r.tls?.clientCa === undefined) {
    out.push({ field: 'receiver.token', message: 'receiver.token is shared by the fleet: any agent holding it can send windows under any service.instance.id; '
      + 'bind identities with receiver.agentTokens or mutual TLS (receiver.tls.clientCa).' });
  }
  return out;
}

/** A validated, frozen collector configuration with absolute paths. */
export type CollectorConfig = Readonly<z.infer<typeof collectorConfigSchema>>;

/** Validates a collector config document; relative paths resolve against `baseDir`. */
export function parseCollectorConfig(document: unknown, baseDir: string, source = 'config'): CollectorConfig {
  const config = parseConfig(collectorConfigSchema, document, source);
  const abs = resolvePaths(config, baseDir);
  const tls = config.receiver.tls;
  if (tls !== undefined) {
    tls.cert = abs(tls.cert);
    tls.key = abs(tls.key);
    if (tls.clientCa !== undefined) tls.clientCa = abs(tls.clientCa);
  }
  return deepFreeze(config);
}

/** Reads a YAML collector config, applies `DRIFTWATCH_*` overrides, validates and freezes it. */
export function loadCollectorConfig(file: string, env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  const { document, baseDir } = readConfigFile(file, env);
  return parseCollectorConfig(document, baseDir, file);
}
