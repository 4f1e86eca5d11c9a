import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { safeNameSchema, VERSION_PATTERN } from '../safe-name.js';
import { DwError } from '../errors.js';

/**
 * What the agent's and the collector's configs share: YAML files with `DRIFTWATCH_*` environment
 * overrides, strict zod schemas whose errors name the path, and the common sections.
 */

/** Dimension values CloudWatch accepts and an allowlist can check: printable, no control characters. */
export const dimensionValue = z.string().min(1).max(255).regex(/^[\x20-\x7e]+$/, 'must be printable ASCII');

/** A model or site name: it becomes a CloudWatch dimension value, so it must be a safe name (platform/safe-name.ts). */
export const safeDimensionName = safeNameSchema('a dimension value');

/** A model version: it becomes the `ModelVersion` dimension value. */
export const versionDimension = z.string().regex(VERSION_PATTERN, 'must be a version: a letter or digit first, then letters, digits, _ . + or -, at most 64 characters');

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
    /**
     * Also emit SageMaker Model Monitor's metric names for a baseline imported with its
     * constraints (`feature_baseline_drift_<feature>`, `feature_non_null_<feature>`), in its
     * namespace with its dimensions, so existing dashboards and alarms keep working
     * (docs/migrate-sagemaker.md).
     */
    sagemaker: z
      .object({
        /** The `Endpoint` dimension value the old alarms and dashboards use. */
        endpoint: safeDimensionName,
        /** The `MonitoringSchedule` dimension value. */
        monitoringSchedule: safeDimensionName,
        namespace: z.string().min(1).max(255).default('aws/sagemaker/Endpoints/data-metrics'),
      })
      .strict()
      .optional(),
  })
  .strict();

/** Where closed windows go, in both components (the agent adds `otlp`). */
export const sinksConfigShape = {
  cloudwatch: cloudWatchConfigSchema.optional(),
  /** Write the PutMetricData inputs to this NDJSON file. */
  file: z.object({ path: z.string().min(1) }).strict().optional(),
  /** Print them on stdout. */
  stdout: z.boolean().optional(),
  /**
   * Serve each closed window's results and the process's self-metrics in the Prometheus text format
   * on `GET /metrics` of the agent's API or the collector's receiver (under their authorization).
   */
  prometheus: z.boolean().optional(),
  /** Write the same datums as CloudWatch embedded metric format (EMF) lines, for a CloudWatch agent or Fluent Bit to ship. */
  emf: z
    .object({
      /** Append the lines to this file (mode 0640)... */
      path: z.string().min(1).optional(),
      /** ... or print them on stdout. */
      stdout: z.boolean().optional(),
      /** The namespace, when no `cloudwatch` sink names one (they must agree when both do). */
      namespace: z.string().min(1).max(255).optional(),
    })
    .strict()
    .refine((e) => (e.path !== undefined) !== (e.stdout === true), { message: 'takes either path or stdout: true' })
    .optional(),
};

/** The EMF and CloudWatch sinks ship to one namespace: a second one would fail the egress allowlist. */
export function namespaceConflict(sinks: { cloudwatch?: { namespace: string }; emf?: { namespace?: string } }): string | undefined {
  const emf = sinks.emf?.namespace;
  if (emf === undefined || sinks.cloudwatch === undefined || emf === sinks.cloudwatch.namespace) return undefined;
  return `'${emf}' is not sinks.cloudwatch.namespace '${sinks.cloudwatch.namespace}': both sinks ship to one namespace`;
}

/** Body limits of an HTTP listener: the agent's `api` and the collector's `receiver` take the same. */
export const requestBodyShape = {
  /** Largest request body accepted, in bytes (after gzip decoding). */
  bodyLimitBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(16 * 1024 * 1024),
  /** A body that sends nothing for this long is abandoned and its connection closed (a stalled client cannot hold a request slot). */
  bodyTimeoutSeconds: z.number().min(0.1).max(600).default(10),
  /** A body not complete this long after the request began is abandoned and its connection closed, however it trickles. */
  bodyDeadlineSeconds: z.number().min(0.1).max(3600).default(60),
};

/** Window length in seconds, aligned to the wall clock (epoch multiples); the collector's must equal its agents'. */
export const windowSecondsSchema = z.number().int().min(10).max(86_400).default(300);

/** Bounds on the outbox of closed windows waiting for a sink (a VPN outage). */
export const outboxConfigSchema = z
  .object({
    /**
     * Windows that ended longer ago than this are dropped unsent, with a record of what was dropped:
     * CloudWatch refuses data points older than two weeks (336 h), so the default leaves an hour's margin.
     */
    maxAgeHours: z.number().min(1).max(24 * 366).default(335),
    /** The outbox never grows past this many bytes of window reports; the oldest are dropped first (and recorded). */
    maxBytes: z.number().int().min(1024 * 1024).default(256 * 1024 * 1024),
    /** At most this many windows per second per sink while a backlog drains (CloudWatch's request quota is shared). */
    sendPerSecond: z.number().min(0.1).max(1000).default(20),
  })
  .strict();

/** Closed windows kept on the host for people (`driftwatch report`, `status`, `evidence`, `GET /v1/windows`). */
export const historyConfigSchema = z
  .object({
    /** Windows that ended longer ago than this are forgotten. */
    retentionDays: z.number().min(0.01).max(3660).default(14),
    /** The history never takes more than this many bytes of window reports; the oldest go first. */
    maxBytes: z.number().int().min(1024 * 1024).default(256 * 1024 * 1024),
  })
  .strict();

/** The SQLite state file. */
export function stateConfigSchema(defaultPath: string) {
  return z
    .object({
      /** SQLite file for checkpoints and the outbox. */
      path: z.string().default(defaultPath),
      /** `FULL` also survives power loss, at a throughput cost. */
      synchronous: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
      outbox: outboxConfigSchema.prefault({}),
      history: historyConfigSchema.prefault({}),
    })
    .strict()
    .prefault({});
}

/** Stopping on SIGTERM. */
export const shutdownConfigSchema = z
  .object({
    /**
     * Seconds from SIGTERM to exit: stop accepting, checkpoint, try a final send, exit 0. The default
     * leaves room inside Kubernetes' 30 s terminationGracePeriodSeconds.
     */
    deadlineSeconds: z.number().min(1).max(3600).default(20),
  })
  .strict();

/** What may leave about a small window (docs/security.md). */
export const privacyConfigSchema = z
  .object({
    /** k: windows with fewer events ship their counts only, no per-feature score, rate or histogram. */
    minCount: z.number().int().min(0).max(1_000_000).default(20),
    /**
     * Differential privacy: ε per window. Discrete Laplace noise on every exported count (and so on
     * every score computed from them). Unset: exact counts.
     */
    epsilon: z.number().min(0.001).max(10).optional(),
  })
  .strict();

/** The audit log of what left the host. */
export const auditConfigSchema = z
  .object({
    /** Entries older than this are pruned behind a checkpoint (daily). */
    retentionDays: z.number().int().min(1).max(3650).default(400),
    /** Ed25519 private key (PEM) that signs pruning checkpoints; verify with its public key. */
    signingKey: z.string().optional(),
  })
  .strict();

/** The M-of-N retraining rule. */
export const retrainingConfigSchema = z
  .object({
    /** Flagged windows needed... */
    m: z.number().int().min(1).default(3),
    /** ...out of the last n closed windows. */
    n: z.number().int().min(1).max(100).default(5),
  })
  .strict();

/** The verdict on a labelled baseline's estimated accuracy (docs/drift-statistics.md). */
export const performanceConfigSchema = z
  .object({
    /** A window whose estimate's 95 % upper bound is below the baseline's accuracy minus this ships AccuracyDrop = 1. */
    maxDrop: z.number().min(0).max(1).default(0.05),
    /** Whether such a window counts as flagged in the M-of-N retraining rule, as a drifted one does. */
    retrain: z.boolean().default(true),
  })
  .strict();

/** Self-telemetry over OTLP/HTTP. */
export const telemetryConfigSchema = z
  .object({
    /** OTLP/HTTP endpoint for the agent's own metrics (e.g. http://127.0.0.1:4318/v1/metrics). */
    otlpEndpoint: z.string().url().optional(),
    exportIntervalMs: z.number().int().min(1000).default(60_000),
  })
  .strict();

/** Logging. */
export const logConfigSchema = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Readable lines instead of JSON (default: when stdout is a terminal). */
    pretty: z.boolean().optional(),
  })
  .strict();

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '::ffff:127.0.0.1';
}

/**
 * Why an OTLP sink would send its bearer token in clear text: a token to an `http://` endpoint that
 * is not loopback, without `insecure`. Undefined when it would not.
 */
export function clearTextToken(otlp: { endpoint: string; token?: string | undefined; insecure: boolean }): string | undefined {
  if (otlp.token === undefined || otlp.insecure || !URL.canParse(otlp.endpoint)) return undefined; // a bad URL is the endpoint's own error
  const url = new URL(otlp.endpoint);
  if (url.protocol !== 'http:' || isLoopback(url.hostname.replace(/^\[|\]$/g, ''))) return undefined;
  return `sends the token in clear text to ${url.host}: use https:// (with tls.ca for a private CA), or set insecure: true to accept that`;
}

/** Freezes a parsed config, deeply. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** An environment value read as a YAML scalar (`60`, `true`), or as the plain string when it is not valid YAML (`%token`). */
function envValue(raw: string): unknown {
  const doc = parseDocument(raw, { logLevel: 'silent' });
  if (doc.errors.length > 0 || doc.warnings.length > 0) return raw;
  try {
    return doc.toJS() as unknown;
  } catch {
    return raw; // an alias without its anchor (`*x`)
  }
}

/**
 * Applies `DRIFTWATCH_<PATH>` environment variables to a config document: the path's segments
 * upper-cased and joined by `__` (`DRIFTWATCH_WINDOWS__SECONDS=60`, `DRIFTWATCH_API__PORT=4391`,
 * `DRIFTWATCH_SITE=dc1`). Values are read as YAML scalars (numbers, booleans, strings); one that is not valid YAML is taken as
 * the string it is.
 */
export function applyEnvOverrides(document: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out = structuredClone(document);
  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith('DRIFTWATCH_') || raw === undefined || key === 'DRIFTWATCH_DEBUG' || key === 'DRIFTWATCH_CONFIG') continue;
    const path = key.slice('DRIFTWATCH_'.length).toLowerCase().split('__')
      .map((segment) => segment.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
    let node: Record<string, unknown> = out;
    for (const segment of path.slice(0, -1)) {
      const next = Object.hasOwn(node, segment) ? node[segment] : undefined;
      if (next === undefined) node[segment] = {};
      else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        throw new DwError('DW_ERR_CONFIG', `${key} sets a path inside '${segment}', which is not a section`, { field: key });
      }
      node = node[segment] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = envValue(raw);
  }
  return out;
}

/** Validates a config document with `schema`; the first error names its path (`windows.seconds: ...`). */
export function parseConfig<S extends z.ZodType>(schema: S, document: unknown, source: string): z.infer<S> {
  const result = schema.safeParse(document ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.map(String).join('.');
    throw new DwError('DW_ERR_CONFIG', `${path === '' ? '' : `${path}: `}${issue.message}`, { file: source, field: path || undefined });
  }
  return result.data;
}

/** Reads a YAML config file into a document with environment overrides applied, and its folder. */
export function readConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): { document: Record<string, unknown>; baseDir: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DwError('DW_ERR_FILE_READ', `cannot read config (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file });
  }
  // Warnings (an unknown tag such as `!!js/function`) are errors too: a config means what it says.
  const parsed = parseDocument(text, { logLevel: 'silent' });
  const problem = parsed.errors[0] ?? parsed.warnings[0];
  if (problem !== undefined) {
    throw new DwError('DW_ERR_CONFIG', `invalid YAML: ${problem.message.split('\n')[0]}`, { file, line: problem.linePos?.[0]?.line });
  }
  let document: unknown;
  try {
    document = (parsed.toJS() as unknown) ?? {};
  } catch (err) {
    // toJS fails on what parses but cannot be a value: an alias without its anchor, an alias bomb.
    throw new DwError('DW_ERR_CONFIG', `invalid YAML: ${(err as Error).message.split('\n')[0]}`, { file });
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new DwError('DW_ERR_CONFIG', 'the config must be a YAML mapping', { file });
  }
  return { document: applyEnvOverrides(document as Record<string, unknown>, env), baseDir: dirname(resolve(file)) };
}

/** Checks every component config makes: unique model names, and retraining m ≤ n. */
export function refineModelsAndRetraining(config: { models: { name: string }[]; retraining: { m: number; n: number }; sinks: Parameters<typeof namespaceConflict>[0] }, ctx: z.RefinementCtx): void {
  const conflict = namespaceConflict(config.sinks);
  if (conflict !== undefined) ctx.addIssue({ code: 'custom', path: ['sinks', 'emf', 'namespace'], message: conflict });
  const names = new Set<string>();
  config.models.forEach((m, i) => {
    if (names.has(m.name)) ctx.addIssue({ code: 'custom', path: ['models', i, 'name'], message: `duplicate model '${m.name}'` });
    names.add(m.name);
  });
  if (config.retraining.m > config.retraining.n) {
    ctx.addIssue({ code: 'custom', path: ['retraining', 'm'], message: `must be ≤ retraining.n (${config.retraining.n})` });
  }
}

/**
 * Makes the paths every component config has absolute (baselines, state, file sink) against the
 * config file's folder, and returns the resolver for the others.
 */
export function resolvePaths(config: { models: { baseline: string }[]; state: { path: string }; sinks: { file?: { path: string }; emf?: { path?: string } }; audit: { signingKey?: string } }, baseDir: string): (p: string) => string {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  for (const m of config.models) m.baseline = abs(m.baseline);
  config.state.path = abs(config.state.path);
  if (config.sinks.file !== undefined) config.sinks.file.path = abs(config.sinks.file.path);
  if (config.sinks.emf?.path !== undefined) config.sinks.emf.path = abs(config.sinks.emf.path);
  if (config.audit.signingKey !== undefined) config.audit.signingKey = abs(config.audit.signingKey);
  return abs;
}

/** The sections after `sinks` that every component config has, with their defaults. */
export const commonSectionsShape = {
  privacy: privacyConfigSchema.prefault({}),
  performance: performanceConfigSchema.prefault({}),
  audit: auditConfigSchema.prefault({}),
  telemetry: telemetryConfigSchema.prefault({}),
  log: logConfigSchema.prefault({}),
  shutdown: shutdownConfigSchema.prefault({}),
};
