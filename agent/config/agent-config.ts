import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { driftRuleSchema } from '../../shared/drift/drift-rule.js';
import { DwError } from '../../shared/errors.js';

/** Dimension values CloudWatch accepts and an allowlist can check: printable, no control characters. */
const dimensionValue = z.string().min(1).max(255).regex(/^[\x20-\x7e]+$/, 'must be printable ASCII');

/** One monitored model. */
export const modelConfigSchema = z
  .object({
    /** Model name: the `Model` dimension, and what events carry in `model`. */
    name: dimensionValue,
    /** Baseline profile file (relative paths are relative to the config file). */
    baseline: z.string().min(1),
    /** Events naming a feature the baseline does not know: refuse them (default) or ignore the extra keys. */
    unknownFeatures: z.enum(['reject', 'ignore']).default('reject'),
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
    /** Largest request body accepted, in bytes (after gzip decoding). */
    bodyLimitBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(16 * 1024 * 1024),
  })
  .strict();

/** Tumbling windows. */
export const windowConfigSchema = z
  .object({
    /** Window length, aligned to the wall clock (epoch multiples). */
    seconds: z.number().int().min(10).max(86_400).default(300),
    /** How long after its end a window still takes late events before it closes. */
    graceSeconds: z.number().int().min(0).max(3600).default(10),
    /** `wall`: windows close by the clock. `event`: by the newest event timestamp (replays, backfills). */
    clock: z.enum(['wall', 'event']).default('wall'),
    /** Events stamped further than this in the future are refused (wall clock only). */
    maxFutureSeconds: z.number().int().min(0).max(86_400).default(60),
    /** How often open-window counts are saved, ms. A crash loses at most this much. */
    checkpointMs: z.number().int().min(100).max(60_000).default(1000),
  })
  .strict();

/** CloudWatch shipping. */
export const cloudWatchConfigSchema = z
  .object({
    namespace: z.string().min(1).max(255).default('Driftwatch'),
    /** Defaults to AWS_REGION / AWS_DEFAULT_REGION / the shared AWS config. */
    region: z.string().optional(),
    /** Endpoint override (VPC interface endpoint); defaults to AWS_ENDPOINT_URL[_CLOUDWATCH]. */
    endpoint: z.string().url().optional(),
    /** Ship per-feature PSI for the N most drifted features only (0 = all). */
    topFeatures: z.number().int().min(0).default(0),
    requestTimeoutMs: z.number().int().min(100).default(10_000),
  })
  .strict();

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
  })
  .strict()
  .superRefine((otlp, ctx) => {
    if ((otlp.tls?.cert === undefined) !== (otlp.tls?.key === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'cert and key go together' });
    }
  });

export const agentConfigSchema = z
  .object({
    /** `Site` dimension on every metric (a data centre, a cluster). */
    site: dimensionValue.optional(),
    /**
     * This agent's identity in fleet mode (`service.instance.id`): stable across restarts, unique in
     * the fleet. Defaults to the host name (the pod name in Kubernetes).
     */
    instanceId: dimensionValue.optional(),
    models: z.array(modelConfigSchema).min(1),
    api: apiConfigSchema.default(apiConfigSchema.parse({})),
    windows: windowConfigSchema.default(windowConfigSchema.parse({})),
    drift: driftRuleSchema.default(driftRuleSchema.parse({})),
    retraining: z
      .object({
        /** Flagged windows needed... */
        m: z.number().int().min(1).default(3),
        /** ...out of the last n closed windows. */
        n: z.number().int().min(1).max(100).default(5),
      })
      .strict()
      .default({ m: 3, n: 5 }),
    state: z
      .object({
        /** SQLite file for checkpoints and the outbox. */
        path: z.string().default('.driftwatch/agent.db'),
        /** `FULL` also survives power loss, at a throughput cost. */
        synchronous: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
      })
      .strict()
      .default({ path: '.driftwatch/agent.db', synchronous: 'NORMAL' }),
    sinks: z
      .object({
        cloudwatch: cloudWatchConfigSchema.optional(),
        /** Write the PutMetricData inputs to this NDJSON file. */
        file: z.object({ path: z.string().min(1) }).strict().optional(),
        /** Print them on stdout. */
        stdout: z.boolean().optional(),
        otlp: otlpSinkConfigSchema.optional(),
      })
      .strict()
      .default({}),
    telemetry: z
      .object({
        /** OTLP/HTTP endpoint for the agent's own metrics (e.g. http://127.0.0.1:4318/v1/metrics). */
        otlpEndpoint: z.string().url().optional(),
        exportIntervalMs: z.number().int().min(1000).default(60_000),
      })
      .strict()
      .default({ exportIntervalMs: 60_000 }),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** Readable lines instead of JSON (default: when stdout is a terminal). */
        pretty: z.boolean().optional(),
      })
      .strict()
      .default({ level: 'info' }),
  })
  .strict()
  .superRefine((config, ctx) => {
    const names = new Set<string>();
    config.models.forEach((m, i) => {
      if (names.has(m.name)) ctx.addIssue({ code: 'custom', path: ['models', i, 'name'], message: `duplicate model '${m.name}'` });
      names.add(m.name);
    });
    if (config.retraining.m > config.retraining.n) {
      ctx.addIssue({ code: 'custom', path: ['retraining', 'm'], message: `must be ≤ retraining.n (${config.retraining.n})` });
    }
    if (config.windows.checkpointMs > config.windows.seconds * 1000) {
      ctx.addIssue({ code: 'custom', path: ['windows', 'checkpointMs'], message: 'must be ≤ windows.seconds × 1000' });
    }
    if (config.api.socket === undefined && !isLoopback(config.api.host)) {
      if (!config.api.allowNonLoopback) {
        ctx.addIssue({ code: 'custom', path: ['api', 'host'], message: `'${config.api.host}' is not loopback; set api.allowNonLoopback and api.token to listen there` });
      } else if (config.api.token === undefined) {
        ctx.addIssue({ code: 'custom', path: ['api', 'token'], message: 'is required when listening off loopback' });
      }
    }
  });

/** A validated, frozen agent configuration with absolute paths. */
export type AgentConfig = Readonly<z.infer<typeof agentConfigSchema>>;

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '::ffff:127.0.0.1';
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Applies `DRIFTWATCH_<PATH>` environment variables to a config document: the path's segments
 * upper-cased and joined by `__` (`DRIFTWATCH_WINDOWS__SECONDS=60`, `DRIFTWATCH_API__PORT=4391`,
 * `DRIFTWATCH_SITE=dc1`). Values are read as YAML scalars (numbers, booleans, strings).
 */
export function applyEnvOverrides(document: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out = structuredClone(document);
  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith('DRIFTWATCH_') || raw === undefined || key === 'DRIFTWATCH_DEBUG' || key === 'DRIFTWATCH_CONFIG') continue;
    const path = key.slice('DRIFTWATCH_'.length).toLowerCase().split('__')
      .map((segment) => segment.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
    let node: Record<string, unknown> = out;
    for (const segment of path.slice(0, -1)) {
      const next = node[segment];
      if (next === undefined) node[segment] = {};
      else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        throw new DwError('DW_ERR_CONFIG', `${key} sets a path inside '${segment}', which is not a section`, { field: key });
      }
      node = node[segment] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = parseYaml(raw) as unknown;
  }
  return out;
}

/** Validates a config document; errors name the path (`windows.seconds: ...`). Relative paths resolve against `baseDir`. */
export function parseAgentConfig(document: unknown, baseDir: string, source = 'config'): AgentConfig {
  const result = agentConfigSchema.safeParse(document ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.map(String).join('.');
    throw new DwError('DW_ERR_CONFIG', `${path === '' ? '' : `${path}: `}${issue.message}`, { file: source, field: path || undefined });
  }
  const config = result.data;
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  for (const m of config.models) m.baseline = abs(m.baseline);
  config.state.path = abs(config.state.path);
  if (config.sinks.file !== undefined) config.sinks.file.path = abs(config.sinks.file.path);
  if (config.api.socket !== undefined) config.api.socket = abs(config.api.socket);
  const tls = config.sinks.otlp?.tls;
  if (tls !== undefined) {
    for (const k of ['ca', 'cert', 'key'] as const) if (tls[k] !== undefined) tls[k] = abs(tls[k]);
  }
  return deepFreeze(config);
}

/** Reads a YAML config file, applies environment overrides, validates and freezes it. */
export function loadAgentConfig(file: string, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DwError('DW_ERR_FILE_READ', `cannot read config (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file });
  }
  let document: unknown;
  try {
    document = parseYaml(text) ?? {};
  } catch (err) {
    const e = err as { message: string; linePos?: { line: number }[] };
    throw new DwError('DW_ERR_CONFIG', `invalid YAML: ${e.message.split('\n')[0]}`, { file, line: e.linePos?.[0]?.line });
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new DwError('DW_ERR_CONFIG', 'the config must be a YAML mapping', { file });
  }
  return parseAgentConfig(applyEnvOverrides(document as Record<string, unknown>, env), dirname(resolve(file)), file);
}
