import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { cloudWatchConfigSchema } from '../config/config-file.js';
import type { otlpSinkConfigSchema } from '../config/otlp-sink-config.js';
import { packageVersion } from '../package-info.js';
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
  sinks: {
    cloudwatch?: z.infer<typeof cloudWatchConfigSchema>;
    file?: { path: string };
    stdout?: boolean;
    otlp?: z.infer<typeof otlpSinkConfigSchema>;
  };
}

/** The sinks a config asks for; with none named, CloudWatch if AWS is configured, else a file. */
export function createSinks(config: SinksConfig, env: NodeJS.ProcessEnv, log: Logger, profileOf: OtlpSinkOptions['profileOf'] = () => undefined): WindowSink[] {
  const shape = { site: config.site, topFeatures: config.sinks.cloudwatch?.topFeatures ?? 0, namespace: config.sinks.cloudwatch?.namespace ?? 'Driftwatch' };
  const sinks: WindowSink[] = [];
  const awsConfigured = [env.AWS_REGION, env.AWS_DEFAULT_REGION, env.AWS_ENDPOINT_URL, env.AWS_ENDPOINT_URL_CLOUDWATCH].some((v) => v !== undefined && v !== '');
  const implicit = config.sinks.file === undefined && config.sinks.stdout !== true && config.sinks.otlp === undefined && awsConfigured;
  const cw = config.sinks.cloudwatch ?? (implicit ? cloudWatchConfigSchema.parse({}) : undefined);
  if (cw !== undefined) {
    sinks.push(new CloudWatchSink({ ...shape, region: cw.region, endpoint: cw.endpoint, requestTimeoutMs: cw.requestTimeoutMs }));
    if (env.AWS_ACCESS_KEY_ID !== undefined && env.AWS_SESSION_TOKEN === undefined) {
      log.warn('Long-lived static AWS keys found in AWS_ACCESS_KEY_ID; prefer a role (IRSA, IAM Roles Anywhere, instance profile).');
    }
  }
  if (config.sinks.file !== undefined) sinks.push(new FileSink(config.sinks.file.path, shape));
  if (config.sinks.otlp !== undefined) {
    sinks.push(new OtlpSink({ ...config.sinks.otlp, identity: { instanceId: config.instanceId ?? hostname(), site: config.site, version: packageVersion() }, profileOf }));
  }
  if (config.sinks.stdout === true) sinks.push(new StdoutSink(shape));
  if (sinks.length === 0) {
    const path = join(dirname(config.state.path), 'cloudwatch-payloads.ndjson');
    log.info({ path }, 'No AWS region or endpoint is configured: writing the CloudWatch payloads to a file instead.');
    sinks.push(new FileSink(path, shape));
  }
  return sinks;
}
