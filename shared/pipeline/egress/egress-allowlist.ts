import type { PutMetricAlarmInput, PutMetricDataInput } from '@aws-sdk/client-cloudwatch';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { quoteName, safeNameProblem, VERSION_PATTERN } from '../../platform/safe-name.js';
import { REJECT_REASONS } from '../../core/aggregation/reject-reasons.js';
import { OTLP_ATTRIBUTES, OTLP_METRICS } from './otlp-names.js';
import { DIMENSION_NAMES, METRIC_NAMES, SEGMENT_VALUE } from './cloudwatch-names.js';
import { SELF_METRIC_NAMES } from './self-metric-names.js';

/** What may leave the host: everything else in a payload is refused. */
export interface AllowlistSpec {
  /** CloudWatch namespace. */
  namespace?: string;
  site?: string;
  /** This process's identity in fleet mode. */
  instanceId?: string;
  /** Models from config, each with its configured versions and its baseline's feature names. */
  models: readonly { name: string; versions: readonly string[]; features: readonly string[] }[];
  /** SageMaker Model Monitor's names (`sinks.cloudwatch.sagemaker`): its namespace and the two dimension values. */
  sagemaker?: { namespace: string; endpoint: string; monitoringSchedule: string };
}

/** Model Monitor's per-feature metrics driftwatch emits in its naming mode (docs/migrate-sagemaker.md). */
const SAGEMAKER_METRIC = /^feature_(baseline_drift|non_null)_(.+)$/;

const DATUM_KEYS = new Set(['MetricName', 'Dimensions', 'Timestamp', 'Value', 'Values', 'Counts', 'Unit', 'StatisticValues', 'StorageResolution']);
const UNITS = new Set(['None', 'Count', 'Seconds']);
const WINDOW_RESOURCE_KEYS = new Set(['service.name', 'service.version', OTLP_ATTRIBUTES.instance, OTLP_ATTRIBUTES.site, OTLP_ATTRIBUTES.model,
  OTLP_ATTRIBUTES.auditEntries, OTLP_ATTRIBUTES.auditDigest]);
const WINDOW_POINT_KEYS = new Set<string>([OTLP_ATTRIBUTES.model, OTLP_ATTRIBUTES.version, OTLP_ATTRIBUTES.feature, OTLP_ATTRIBUTES.categoryIndex,
  OTLP_ATTRIBUTES.layout, OTLP_ATTRIBUTES.reason]);
const TELEMETRY_POINT_KEYS = new Set(['reason', 'model', 'sink', 'outcome', 'error_type', 'stage']);
/** Self-telemetry attribute values other than model names: code-defined tokens, never data. */
const TOKEN = /^[a-z][a-z0-9_]{0,39}$/;
const VERSION = /^\d+\.\d+\.\d+[\w.+-]{0,40}$/;
const isFiniteNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);

/**
 * The egress allowlist (SPEC §4): every payload is checked against it before it is sent. A check
 * returns the first violation, naming the field, or undefined when the payload may leave.
 */
export class EgressAllowlist {
  private readonly models: Map<string, { versions: Set<string>; features: Set<string> }>;
  private readonly metricNames = new Set<string>(METRIC_NAMES);
  private readonly dimensionNames = new Set<string>(DIMENSION_NAMES);
  private readonly windowMetrics = new Set<string>(Object.values(OTLP_METRICS));
  private readonly telemetryMetrics = new Set<string>(SELF_METRIC_NAMES);
  private readonly reasons = new Set<string>(REJECT_REASONS);

  constructor(private readonly spec: AllowlistSpec) {
    this.models = new Map(spec.models.map((m) => [m.name, { versions: new Set(m.versions), features: new Set(m.features) }]));
  }

  /** A PutMetricData request: namespace, metric and dimension names, dimension values, finite numbers. */
  checkPutMetricData(input: PutMetricDataInput): string | undefined {
    if (this.spec.sagemaker !== undefined && input.Namespace === this.spec.sagemaker.namespace) return this.checkSageMakerData(input, this.spec.sagemaker);
    if (input.Namespace !== this.spec.namespace) return `Namespace '${String(input.Namespace)}' is not the configured '${String(this.spec.namespace)}'`;
    const data = input.MetricData ?? [];
    for (let i = 0; i < data.length; i++) {
      const d = data[i]!;
      const at = `MetricData[${i}]`;
      for (const key of Object.keys(d)) if (!DATUM_KEYS.has(key)) return `${at}.${key} is not an allowed field`;
      if (!this.metricNames.has(d.MetricName ?? '')) return `${at}.MetricName '${String(d.MetricName)}' is not a driftwatch metric`;
      if (d.Unit !== undefined && !UNITS.has(d.Unit)) return `${at}.Unit '${d.Unit}' is not allowed`;
      if (d.StorageResolution !== undefined && d.StorageResolution !== 1 && d.StorageResolution !== 60) return `${at}.StorageResolution must be 1 or 60`;
      if (!(d.Timestamp instanceof Date) || !Number.isFinite(d.Timestamp.getTime())) return `${at}.Timestamp is not a valid date`;
      if (d.Value !== undefined && !isFiniteNumber(d.Value)) return `${at}.Value is not a finite number`;
      for (const k of ['Values', 'Counts'] as const) {
        if (d[k] !== undefined && !d[k].every(isFiniteNumber)) return `${at}.${k} holds a value that is not a finite number`;
      }
      if (d.StatisticValues !== undefined && !Object.values(d.StatisticValues).every(isFiniteNumber)) return `${at}.StatisticValues holds a value that is not finite`;
      const dims = new Map<string, string>();
      for (const dim of d.Dimensions ?? []) {
        if (!this.dimensionNames.has(dim.Name ?? '')) return `${at}.Dimensions: '${String(dim.Name)}' is not an allowed dimension`;
        if (dims.has(dim.Name!)) return `${at}.Dimensions: '${dim.Name!}' appears twice`;
        dims.set(dim.Name!, dim.Value ?? '');
      }
      const segment = dims.get('Segment');
      if (segment !== undefined && !SEGMENT_VALUE.test(segment)) return `${at}.Dimensions: segment ${quoteName(segment)} is not a category index or 'other'`;
      const problem = this.checkIdentity(dims.get('Model'), dims.get('ModelVersion'), dims.get('Feature'), dims.get('Site'), `${at}.Dimensions`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }

  /**
   * A request in Model Monitor's namespace: only `feature_baseline_drift_<f>` and
   * `feature_non_null_<f>` of a baseline feature, with exactly the configured `Endpoint` and
   * `MonitoringSchedule`, finite values.
   */
  private checkSageMakerData(input: PutMetricDataInput, sm: NonNullable<AllowlistSpec['sagemaker']>): string | undefined {
    const features = new Set(this.spec.models.flatMap((m) => m.features));
    const data = input.MetricData ?? [];
    for (let i = 0; i < data.length; i++) {
      const d = data[i]!;
      const at = `MetricData[${i}]`;
      for (const key of Object.keys(d)) if (!DATUM_KEYS.has(key) || key === 'Values' || key === 'Counts' || key === 'StatisticValues') return `${at}.${key} is not an allowed field`;
      const feature = SAGEMAKER_METRIC.exec(d.MetricName ?? '')?.[2];
      if (feature === undefined || !features.has(feature)) return `${at}.MetricName '${String(d.MetricName).slice(0, 80)}' is not a Model Monitor metric of a baseline feature`;
      if (!(d.Timestamp instanceof Date) || !Number.isFinite(d.Timestamp.getTime())) return `${at}.Timestamp is not a valid date`;
      if (!isFiniteNumber(d.Value)) return `${at}.Value is not a finite number`;
      if (d.Unit !== undefined && d.Unit !== 'None') return `${at}.Unit '${d.Unit}' is not allowed`;
      const dims = (d.Dimensions ?? []).map((x) => `${x.Name ?? ''}=${x.Value ?? ''}`).sort();
      if (JSON.stringify(dims) !== JSON.stringify([`Endpoint=${sm.endpoint}`, `MonitoringSchedule=${sm.monitoringSchedule}`])) {
        return `${at}.Dimensions must be exactly Endpoint and MonitoringSchedule as configured`;
      }
    }
    return undefined;
  }

  /**
   * An alarm definition (`driftwatch alarms apply`): a `driftwatch-` name, the configured namespace,
   * a driftwatch metric, allowed dimensions with configured values. Alarm texts are built from
   * config names, never from data.
   */
  checkAlarm(input: PutMetricAlarmInput): string | undefined {
    const name = input.AlarmName ?? '';
    if (!/^driftwatch-[\x20-\x7e]{1,200}$/.test(name)) return `AlarmName '${name.slice(0, 80)}' is not a driftwatch alarm name`;
    if (input.Namespace !== this.spec.namespace) return `${name}: Namespace '${String(input.Namespace)}' is not the configured '${String(this.spec.namespace)}'`;
    if (!this.metricNames.has(input.MetricName ?? '')) return `${name}: MetricName '${String(input.MetricName)}' is not a driftwatch metric`;
    const dims = new Map<string, string>();
    for (const dim of input.Dimensions ?? []) {
      if (!this.dimensionNames.has(dim.Name ?? '')) return `${name}: '${String(dim.Name)}' is not an allowed dimension`;
      dims.set(dim.Name!, dim.Value ?? '');
    }
    return this.checkIdentity(dims.get('Model'), dims.get('ModelVersion'), dims.get('Feature'), dims.get('Site'), `${name}.Dimensions`);
  }

  /**
   * Model, version, feature and site values: each only as configured (a missing one passes), and
   * each a safe name (a version: a version), so a hand-edited baseline or config cannot ship a value
   * as a name.
   */
  private checkIdentity(model: string | undefined, version: string | undefined, feature: string | undefined, site: string | undefined, at: string): string | undefined {
    for (const [kind, name] of [['model', model], ['feature', feature], ['site', site]] as const) {
      const problem = name === undefined ? undefined : safeNameProblem(name);
      if (problem !== undefined) return `${at}: ${kind} ${quoteName(name!)} is not a safe name: ${problem}`;
    }
    if (version !== undefined && version !== '' && !VERSION_PATTERN.test(version)) return `${at}: version ${quoteName(version)} is not a version`;
    const m = model === undefined ? undefined : this.models.get(model);
    if (model !== undefined && m === undefined) return `${at}: model '${model.slice(0, 80)}' is not configured`;
    if (version !== undefined && version !== '' && m?.versions.has(version) !== true) return `${at}: version '${version.slice(0, 80)}' is not configured for the model`;
    if (feature !== undefined && m?.features.has(feature) !== true) return `${at}: feature '${feature.slice(0, 80)}' is not in the model's baseline`;
    if (site !== undefined && site !== this.spec.site) return `${at}: site '${site.slice(0, 80)}' is not the configured site`;
    return undefined;
  }

  /** A fleet window over OTLP: the wire contract's metrics and attributes, and nothing else. */
  checkOtlpWindow(rm: ResourceMetrics): string | undefined {
    const resource = rm.resource.attributes;
    for (const [key, value] of Object.entries(resource)) {
      if (!WINDOW_RESOURCE_KEYS.has(key)) return `resource attribute '${key}' is not allowed`;
      if (key === 'service.name' && value !== 'driftwatch-agent') return 'resource service.name must be driftwatch-agent';
      if (key === 'service.version' && !VERSION.test(String(value))) return 'resource service.version is not a version';
      if (key === OTLP_ATTRIBUTES.instance && value !== this.spec.instanceId) return 'resource service.instance.id is not this agent\'s';
      if ((key === OTLP_ATTRIBUTES.auditEntries || key === OTLP_ATTRIBUTES.auditDigest) && !(Number.isSafeInteger(value) && (value as number) >= 0)) {
        return `resource ${key} is not a non-negative integer`;
      }
    }
    const identity = this.checkIdentity(resource[OTLP_ATTRIBUTES.model] as string | undefined, undefined, undefined, resource[OTLP_ATTRIBUTES.site] as string | undefined, 'resource');
    if (identity !== undefined) return identity;
    for (const scope of rm.scopeMetrics) {
      for (const metric of scope.metrics) {
        const name = metric.descriptor.name;
        if (!this.windowMetrics.has(name)) return `metric '${name}' is not part of the window contract`;
        for (const point of metric.dataPoints) {
          const a = point.attributes;
          for (const key of Object.keys(a)) if (!WINDOW_POINT_KEYS.has(key)) return `${name}: attribute '${key}' is not allowed`;
          const problem = this.checkIdentity(a[OTLP_ATTRIBUTES.model] as string | undefined, a[OTLP_ATTRIBUTES.version] as string | undefined,
            a[OTLP_ATTRIBUTES.feature] as string | undefined, undefined, name);
          if (problem !== undefined) return problem;
          const index = a[OTLP_ATTRIBUTES.categoryIndex];
          if (index !== undefined && !(Number.isInteger(index) && (index as number) >= 0)) return `${name}: category index must be a non-negative integer`;
          const layout = a[OTLP_ATTRIBUTES.layout];
          if (layout !== undefined && !/^[0-9a-f]{16}$/.test(String(layout))) return `${name}: layout must be a 16-digit hex fingerprint`;
          const reason = a[OTLP_ATTRIBUTES.reason];
          if (reason !== undefined && !this.reasons.has(String(reason))) return `${name}: reason '${String(reason).slice(0, 80)}' is not a refusal reason`;
          const v = point.value;
          if (typeof v === 'number') {
            if (!Number.isFinite(v)) return `${name}: a value is not finite`;
          } else if (!('buckets' in v) || !v.buckets.boundaries.every(Number.isFinite) || !v.buckets.counts.every(Number.isFinite) || !Number.isFinite(v.count)
            || (v.sum !== undefined && !Number.isFinite(v.sum))) {
            return `${name}: a histogram holds a value that is not finite`;
          }
        }
      }
    }
    return undefined;
  }

  /** Self-telemetry: driftwatch's own metric names, code-defined attribute values or model names. */
  checkTelemetry(rm: ResourceMetrics): string | undefined {
    for (const [key, value] of Object.entries(rm.resource.attributes)) {
      if (key === 'service.name' && (value === 'driftwatch-agent' || value === 'driftwatch-collector')) continue;
      if (key === OTLP_ATTRIBUTES.site && value === this.spec.site) continue;
      if (key.startsWith('telemetry.sdk.') && typeof value === 'string' && /^[\w.@/-]{1,40}$/.test(value)) continue;
      return `telemetry resource attribute '${key}' is not allowed`;
    }
    for (const scope of rm.scopeMetrics) {
      for (const metric of scope.metrics) {
        const name = metric.descriptor.name;
        if (!this.telemetryMetrics.has(name)) return `telemetry metric '${name}' is not one of driftwatch's`;
        for (const point of metric.dataPoints) {
          for (const [key, value] of Object.entries(point.attributes)) {
            if (!TELEMETRY_POINT_KEYS.has(key)) return `${name}: attribute '${key}' is not allowed`;
            const ok = key === 'model' ? this.models.has(String(value)) : TOKEN.test(String(value));
            if (!ok) return `${name}: attribute ${key}='${String(value).slice(0, 80)}' is not allowed`;
          }
          if (typeof point.value === 'number' && !Number.isFinite(point.value)) return `${name}: a value is not finite`;
        }
      }
    }
    return undefined;
  }
}
