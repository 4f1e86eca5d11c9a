import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { cloudWatchConfigSchema } from '../../platform/config/config-file.js';
import type { otlpSinkConfigSchema } from './otlp-sink-config.js';
import { packageVersion } from '../../platform/package-info.js';
import type { Egress } from '../egress/egress.js';
import { CloudWatchSink } from './cloudwatch/cloudwatch-sink.js';
import { FileSink } from './file-sink.js';
import { OtlpSink, type OtlpSinkOptions } from './otlp-sink.js';
import { StdoutSink } from './stdout-sink.js';
import type { WindowSink } from './window-sink.js';

/** The parts of an agent or collector config that choose sinks. */
export interface SinksConfig {
  site?: string;
  instanceId?: string;
  state: { path: string };
  privacy: { minCount: number };
  sinks: {
    cloudwatch?: z.infer<typeof cloudWatchConfigSchema>;
    file?: { path: string };
    stdout?: boolean;
    emf?: { path?: string; stdout?: boolean; namespace?: string };
    prometheus?: boolean;
    otlp?: z.infer<typeof otlpSinkConfigSchema>;
  };
}

/** The CloudWatch settings of a config that names no CloudWatch sink: the schema's defaults. */
const CLOUDWATCH_DEFAULTS = Object.freeze(cloudWatchConfigSchema.parse({}));

/** This process's identity in fleet mode: the configured one, or the host name (the pod name). */
export function instanceIdOf(config: Pick<SinksConfig, 'instanceId'>): string {
  return config.instanceId ?? hostname();
}

/** The CloudWatch namespace the config ships to. */
export function namespaceOf(config: Pick<SinksConfig, 'sinks'>): string {
  return config.sinks.cloudwatch?.namespace ?? config.sinks.emf?.namespace ?? CLOUDWATCH_DEFAULTS.namespace;
}

/**
 * The sinks a config asks for; with none named, CloudWatch if AWS is configured, else a file.
 * Sinks that leave the host go through `egress`.
 */
export function createSinks(config: SinksConfig, env: NodeJS.ProcessEnv, log: Logger, egress: Egress, profileOf: OtlpSinkOptions['profileOf'] = () => undefined): WindowSink[] {
  const sagemaker = config.sinks.cloudwatch?.sagemaker;
  const shape = { site: config.site, topFeatures: config.sinks.cloudwatch?.topFeatures ?? CLOUDWATCH_DEFAULTS.topFeatures, namespace: namespaceOf(config), minCount: config.privacy.minCount,
    ...(sagemaker === undefined ? {} : { sagemaker }) };
  const sinks: WindowSink[] = [];
  const awsConfigured = [env.AWS_REGION, env.AWS_DEFAULT_REGION, env.AWS_ENDPOINT_URL, env.AWS_ENDPOINT_URL_CLOUDWATCH].some((v) => v !== undefined && v !== '');
  const implicit = config.sinks.file === undefined && config.sinks.stdout !== true && config.sinks.otlp === undefined && config.sinks.emf === undefined && config.sinks.prometheus !== true && awsConfigured;
  const cw = config.sinks.cloudwatch ?? (implicit ? CLOUDWATCH_DEFAULTS : undefined);
  if (cw !== undefined) {
    sinks.push(new CloudWatchSink({ ...shape, requestTimeoutMs: cw.requestTimeoutMs }, egress.cloudWatch({ region: cw.region, endpoint: cw.endpoint, namespace: shape.namespace })));
    if (env.AWS_ACCESS_KEY_ID !== undefined && env.AWS_SESSION_TOKEN === undefined) {
      log.warn('Long-lived static AWS keys found in AWS_ACCESS_KEY_ID; prefer a role (IRSA, IAM Roles Anywhere, instance profile).');
    }
  }
  if (config.sinks.file !== undefined) sinks.push(new FileSink(config.sinks.file.path, shape));
  if (config.sinks.otlp !== undefined) {
    sinks.push(new OtlpSink({ identity: { instanceId: instanceIdOf(config), site: config.site, version: packageVersion() }, profileOf }, egress.otlpWindows(config.sinks.otlp)));
  }
  if (config.sinks.stdout === true) sinks.push(new StdoutSink(shape));
  if (config.sinks.prometheus === true) sinks.push(new CloudWatchSink({ ...shape, requestTimeoutMs: 0, skipLabels: true }, egress.prometheus(), 'prometheus'));
  if (config.sinks.emf !== undefined) sinks.push(new CloudWatchSink({ ...shape, requestTimeoutMs: 0 }, egress.emf(config.sinks.emf), 'emf'));
  if (sinks.length === 0) {
    const path = join(dirname(config.state.path), 'cloudwatch-payloads.ndjson');
    log.info({ path }, 'No AWS region or endpoint is configured: writing the CloudWatch payloads to a file instead.');
    sinks.push(new FileSink(path, shape));
  }
  return sinks;
}
