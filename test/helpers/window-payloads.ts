import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { DEFAULT_DRIFT_RULE } from '../../shared/core/drift/drift-rule.js';
import type { WindowReport } from '../../shared/core/drift/window-report.js';
import { windowToResourceMetrics } from '../../shared/pipeline/otlp/window-metrics.js';
import type { BaselineProfile } from '../../shared/core/profile/baseline-profile.js';
import { layoutFingerprint, ModelWindows } from '../../shared/pipeline/windows/model-windows.js';
import { exampleRows } from './example-events.js';

/** A closed window of `rows` example rows starting at `startMs`, as an agent would report it. */
export async function exampleWindowReport(profile: BaselineProfile, startMs: number, windowMs: number, rows = 30): Promise<WindowReport> {
  const windows = new ModelWindows('loans', profile, windowMs, DEFAULT_DRIFT_RULE, { m: 3, n: 5 });
  for (const row of exampleRows('loans-stable.csv').slice(0, rows)) {
    const problem = windows.add(row, '', startMs);
    if (problem !== undefined) throw new Error(`example row refused: ${problem.message}`);
  }
  return (await windows.close(windows.windows()[0]!, startMs + windowMs)).report;
}

/** A window's OTLP metrics as an agent with `instanceId` exports them. */
export const windowMetrics = (report: WindowReport, profile: BaselineProfile, instanceId: string) =>
  windowToResourceMetrics(report, profile, layoutFingerprint(profile), { instanceId, version: 'test' });

/** The ExportMetricsServiceRequest body, encoded by the OpenTelemetry serializers. */
export function windowPayload(report: WindowReport, profile: BaselineProfile, instanceId: string, kind: 'protobuf'): Uint8Array;
export function windowPayload(report: WindowReport, profile: BaselineProfile, instanceId: string, kind: 'json'): string;
export function windowPayload(report: WindowReport, profile: BaselineProfile, instanceId: string, kind: 'protobuf' | 'json'): Uint8Array | string {
  const metrics = windowMetrics(report, profile, instanceId);
  if (kind === 'protobuf') return ProtobufMetricsSerializer.serializeRequest(metrics)!;
  return Buffer.from(JsonMetricsSerializer.serializeRequest(metrics)!).toString('utf8');
}
