import { labelsConfigSchema } from './labels-config.js';
import { z } from 'zod';
import { kserveLoggerConfigSchema } from './kserve-logger-config.js';
import { oipSourceConfigSchema } from './oip-source-config.js';
import { fileSourceSchema } from './file-tail-config.js';
import { openaiSourceConfigSchema } from './openai-source-config.js';
import { driftRuleSchema } from '../../shared/core/drift/drift-rule.js';
import {
  clearTextToken, commonSectionsShape, deepFreeze, dimensionValue, isLoopback, parseConfig, readConfigFile, refineModelsAndRetraining, requestBodyShape, resolvePaths, retrainingConfigSchema, safeDimensionName, versionDimension,
  sinksConfigShape, stateConfigSchema, windowSecondsSchema,
} from '../../shared/platform/config/config-file.js';
import { otlpSinkConfigSchema } from '../../shared/pipeline/sinks/otlp-sink-config.js';

export { applyEnvOverrides, cloudWatchConfigSchema, isLoopback } from '../../shared/platform/config/config-file.js';

/** One monitored model. */
export const modelConfigSchema = z
  .object({
    /** Model name: the `Model` dimension, and what events carry in `model`. */
    name: safeDimensionName,
    /** Baseline profile file (relative paths are relative to the config file). */
    baseline: z.string().min(1),
    /**
     * Model versions events may carry (the `ModelVersion` dimension). Only these leave the host:
     * an event with another version is refused (`unknown_version`). Empty: events carry none.
     */
    versions: z.array(versionDimension).default([]),
    /** Events naming a feature the baseline does not know: refuse them (default) or ignore the extra keys. */
    unknownFeatures: z.enum(['reject', 'ignore']).default('reject'),
    /**
     * Events with a key the envelope (`model`, `version`, `timestamp`, `features`, `prediction`) or
     * `prediction` (`label`, `confidence`, `probabilities`) does not define: refuse them (default,
     * `unknown_field`; a typo like `feature` would otherwise count as an all-missing event) or
     * ignore the extras (servers that send more).
     */
    unknownFields: z.enum(['reject', 'ignore']).default('reject'),
    /** This model's effect criterion, over `drift.effect` (docs/drift-statistics.md#effect-size). */
    effect: z.enum(['psi', 'wasserstein']).optional(),
    /**
     * Drift judged per segment too: per value of a low-cardinality categorical input, its `topK`
     * most frequent baseline categories and "other" (docs/drift-statistics.md#segments).
     */
    segments: z.object({ feature: z.string().min(1), topK: z.number().int().min(1).max(20).default(5) }).strict().optional(),
  })
  .strict();

/** The local HTTP API. */
export const apiConfigSchema = z
  .object({
    /** Address to listen on; loopback by default. */
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(4390),
    /** Listen on this unix socket instead of host:port. */
    socket: z.string().optional(),
    /** Required to listen on a non-loopback address (together with `token`). */
    allowNonLoopback: z.boolean().default(false),
    /** Bearer token every request must carry (required off loopback). */
    token: z.string().min(16).optional(),
    /** Serve HTTPS from these PEM files: required for a token off loopback, unless `insecure`. */
    tls: z.object({ cert: z.string(), key: z.string() }).strict().optional(),
    /** Accept a token in clear text off loopback (anyone on the path can read it); logged as a warning at start. */
    insecure: z.boolean().default(false),
    ...requestBodyShape,
    /**
     * Overload: at most this many event requests are read and counted at once; more are answered
     * 503 with Retry-After at once, before their bodies are read (bounds memory).
     */
    maxConcurrentRequests: z.number().int().min(1).max(10_000).default(16),
    /** Overload: while the event loop lags more than this (ms), event requests are answered 503 (bounds latency). */
    maxEventLoopDelayMs: z.number().int().min(10).max(60_000).default(250),
  })
  .strict();

/** Tumbling windows. */
export const windowConfigSchema = z
  .object({
    seconds: windowSecondsSchema,
    /** How long after its end a window still takes late events before it closes. */
    graceSeconds: z.number().int().min(0).max(3600).default(10),
    /** `wall`: windows close by the clock. `event`: by the newest event timestamp (replays, backfills). */
    clock: z.enum(['wall', 'event']).default('wall'),
    /** Events stamped further than this in the future are refused (wall clock only). */
    maxFutureSeconds: z.number().int().min(0).max(86_400).default(60),
    /** How often open-window counts are saved, ms. A crash loses at most this much. */
    checkpointMs: z.number().int().min(100).max(60_000).default(1000),
    /**
     * `checkpoint`: a POST is answered once counted; a crash loses at most `checkpointMs` of counts.
     * `strict`: a POST is answered only after its counts are committed to the state file (group
     * commit); a crash loses nothing that was acknowledged, and a state fault refuses events (503).
     */
    durability: z.enum(['checkpoint', 'strict']).default('checkpoint'),
  })
  .strict();

export const agentConfigSchema = z
  .object({
    /** `Site` dimension on every metric (a data centre, a cluster). */
    site: safeDimensionName.optional(),
    /**
     * This agent's identity in fleet mode (`service.instance.id`): stable across restarts, unique in
     * the fleet. Defaults to the host name (the pod name in Kubernetes).
     */
    instanceId: dimensionValue.optional(),
    models: z.array(modelConfigSchema).min(1),
    api: apiConfigSchema.prefault({}),
    windows: windowConfigSchema.prefault({}),
    drift: driftRuleSchema.prefault({}),
    retraining: retrainingConfigSchema.prefault({}),
    /** Delayed labels joined to inferences by id; absent: ids are not kept and `POST /v1/labels` is refused. */
    labels: labelsConfigSchema.optional(),
    state: stateConfigSchema('.driftwatch/agent.db'),
    sinks: z.object({ ...sinksConfigShape, otlp: otlpSinkConfigSchema.optional() }).strict().prefault({}),
    /** Where events come from besides the event API (docs/sources.md). */
    sources: z.object({ oip: oipSourceConfigSchema.optional(), kserveLogger: kserveLoggerConfigSchema.optional(), files: z.array(fileSourceSchema).default([]),
      openai: openaiSourceConfigSchema.optional() }).strict().prefault({}),
    ...commonSectionsShape,
  })
  .strict()
  .superRefine((config, ctx) => {
    refineModelsAndRetraining(config, ctx);
    if (config.windows.checkpointMs > config.windows.seconds * 1000) {
      ctx.addIssue({ code: 'custom', path: ['windows', 'checkpointMs'], message: 'must be ≤ windows.seconds × 1000' });
    }
    if (config.api.socket === undefined && !isLoopback(config.api.host)) {
      if (!config.api.allowNonLoopback) {
        ctx.addIssue({ code: 'custom', path: ['api', 'host'], message: `'${config.api.host}' is not loopback; set api.allowNonLoopback and api.token to listen there` });
      } else if (config.api.token === undefined) {
        ctx.addIssue({ code: 'custom', path: ['api', 'token'], message: 'is required when listening off loopback' });
      } else if (config.api.tls === undefined && !config.api.insecure) {
        ctx.addIssue({ code: 'custom', path: ['api', 'tls'], message: 'is required off loopback: the token would cross the network in clear text (set api.insecure: true to accept that)' });
      }
    }
    const names = new Set(config.models.map((m) => m.name));
    const openai = config.sources.openai;
    if (openai !== undefined && !names.has(openai.model)) ctx.addIssue({ code: 'custom', path: ['sources', 'openai', 'model'], message: `'${openai.model.slice(0, 100)}' is not one of models[].name` });
    config.sources.files.forEach((f, i) => {
      if (!names.has(f.model)) ctx.addIssue({ code: 'custom', path: ['sources', 'files', i, 'model'], message: `'${f.model.slice(0, 100)}' is not one of models[].name` });
    });
    for (const source of ['oip', 'kserveLogger'] as const) {
      config.sources[source]?.models.forEach((m, i) => {
        if (!names.has(m.name)) ctx.addIssue({ code: 'custom', path: ['sources', source, 'models', i, 'name'], message: `'${m.name.slice(0, 100)}' is not one of models[].name` });
      });
    }
    const otlp = config.sinks.otlp;
    config.models.forEach((m, i) => {
      if (m.segments === undefined) return;
      if (otlp !== undefined) ctx.addIssue({ code: 'custom', path: ['models', i, 'segments'], message: 'segments are judged and shipped by the agent; fleet mode (sinks.otlp) does not carry per-segment counts' });
      if (config.privacy.epsilon !== undefined) ctx.addIssue({ code: 'custom', path: ['models', i, 'segments'], message: 'segments are not released with privacy noise (privacy.epsilon): each segment would spend its own budget' });
    });
    if (otlp !== undefined && config.labels !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['labels'], message: 'delayed labels are shipped by the agent to CloudWatch (or a file, stdout, EMF); fleet mode (sinks.otlp) does not carry realised performance' });
    }
    if (otlp !== undefined) {
      const problem = clearTextToken(otlp);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['sinks', 'otlp', 'endpoint'], message: problem });
    }
  });

/** The settings in use that let a token cross the network in clear text, each with why: logged as warnings at start. */
export function insecureSettings(config: AgentConfig): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  if (config.api.insecure && config.api.socket === undefined && !isLoopback(config.api.host) && config.api.tls === undefined && config.api.token !== undefined) {
    out.push({ field: 'api.insecure', message: `The API listens on ${config.api.host} without TLS: its token crosses the network in clear text (api.insecure).` });
  }
  const otlp = config.sinks.otlp;
  if (otlp?.insecure === true && clearTextToken({ ...otlp, insecure: false }) !== undefined) {
    out.push({ field: 'sinks.otlp.insecure', message: `The OTLP sink sends its token to ${otlp.endpoint} in clear text (sinks.otlp.insecure).` });
  }
  return out;
}

/** A validated, frozen agent configuration with absolute paths. */
export type AgentConfig = Readonly<z.infer<typeof agentConfigSchema>>;

/** Validates a config document; errors name the path (`windows.seconds: ...`). Relative paths resolve against `baseDir`. */
export function parseAgentConfig(document: unknown, baseDir: string, source = 'config'): AgentConfig {
  const config = parseConfig(agentConfigSchema, document, source);
  const abs = resolvePaths(config, baseDir);
  if (config.api.socket !== undefined) config.api.socket = abs(config.api.socket);
  for (const f of config.sources.files) f.path = abs(f.path);
  if (config.sources.openai?.record !== undefined) config.sources.openai.record = abs(config.sources.openai.record);
  if (config.api.tls !== undefined) config.api.tls = { cert: abs(config.api.tls.cert), key: abs(config.api.tls.key) };
  const tls = config.sinks.otlp?.tls;
  if (tls !== undefined) {
    for (const k of ['ca', 'cert', 'key'] as const) if (tls[k] !== undefined) tls[k] = abs(tls[k]);
  }
  return deepFreeze(config);
}

/** Reads a YAML config file, applies environment overrides, validates and freezes it. */
export function loadAgentConfig(file: string, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const { document, baseDir } = readConfigFile(file, env);
  return parseAgentConfig(document, baseDir, file);
}
