import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EgressAllowlist } from '../../../../shared/pipeline/egress/egress-allowlist.js';
import { Egress, EgressRefusedError } from '../../../../shared/pipeline/egress/egress.js';
import { createLogger } from '../../../../shared/platform/logger.js';
import { outboxConfigSchema } from '../../../../shared/platform/config/config-file.js';
import { OutboxShipper } from '../../../../shared/pipeline/shipping/outbox-shipper.js';
import { CloudWatchSink } from '../../../../shared/pipeline/sinks/cloudwatch/cloudwatch-sink.js';
import { openStores } from '../../../helpers/state-stores.js';
import { SelfMetrics } from '../../../../shared/pipeline/telemetry/self-metrics.js';
import type { WindowReport } from '../../../../shared/core/drift/window-report.js';
import { startRecordingProxy, type RecordingProxy } from '../../../helpers/recording-proxy.js';

/**
 * A payload the allowlist does not allow is refused at the door: nothing reaches the wire (a
 * recording proxy in front of moto sees no request), the refusal is logged with the field and
 * counted, and the shipper keeps the window as a dead letter instead of retrying it forever.
 */
const moto = new URL(inject('motoEndpoint'));
let proxy: RecordingProxy;
let logged = '';
const log = createLogger({ level: 'info', pretty: false }, new Writable({ write(chunk: Buffer, _e, done) { logged += chunk.toString(); done(); } }));
const refusals: string[] = [];

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  proxy = await startRecordingProxy({ host: moto.hostname, port: Number(moto.port) });
});

afterAll(async () => {
  await proxy?.close();
});

/** A closed window whose model the allowlist does not know (as if the config and code disagreed). */
const report: WindowReport = {
  model: 'not-configured', version: '', startMs: Date.now() - 600_000, endMs: Date.now() - 540_000, events: 100, rejected: {},
  score: { n: 100, drift: false, featuresTested: 0, alphaPerFeature: 0.01, features: [] }, counts: [], retraining: { recommended: false, flagged: 0, of: 5 },
};

describe('a payload off the allowlist', () => {
  it('is refused at the door, never reaches the wire, is logged, counted and dead-lettered', async () => {
    const egress = new Egress(new EgressAllowlist({ namespace: 'DwRefuse', models: [{ name: 'loans', versions: [], features: ['income'] }] }),
      (kind, reason) => refusals.push(`${kind}: ${reason}`), log);
    const door = egress.cloudWatch({ endpoint: proxy.url, region: 'eu-west-1', namespace: 'DwRefuse' });

    // A good request passes the door and crosses the proxy: the set-up can see traffic.
    await door.put({ Namespace: 'DwRefuse', MetricData: [{ MetricName: 'EventCount', Value: 1, Timestamp: new Date(), Dimensions: [{ Name: 'Model', Value: 'loans' }] }] }, 5000);
    const before = proxy.requests().length;
    expect(before).toBe(1);

    const store = openStores(join(mkdtempSync(join(tmpdir(), 'dw-refuse-')), 'agent.db'));
    store.outbox.closeWindow(report, [], Date.now());
    const metrics = new SelfMetrics({ exportIntervalMs: 60_000, resource: {} }, { backlog: () => [] });
    const sink = new CloudWatchSink({ namespace: 'DwRefuse', topFeatures: 0, minCount: 20, requestTimeoutMs: 5000 }, door);
    const outcome = await sink.send(store.outbox.pending('cloudwatch', 1)[0]!, { outboxBacklog: 1, oldestUnsentAgeSeconds: 0, atMs: Date.now() });
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error).toBeInstanceOf(EgressRefusedError);

    const shipper = new OutboxShipper(store.outbox, [sink], log, metrics, Date.now, outboxConfigSchema.parse({}));
    shipper.start();
    const deadline = Date.now() + 60_000;
    while (store.outbox.deadLetters('cloudwatch').length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    await shipper.stop(0);

    expect(proxy.requests().length).toBe(before);
    expect(refusals).toHaveLength(2);
    expect(refusals[0]).toMatch(/^cloudwatch: MetricData\[0\]\.Dimensions: model 'not-configured' is not configured$/);
    expect(logged).toMatch(/"reason":"MetricData\[0\]\.Dimensions: model 'not-configured' is not configured".*Egress refused a payload/);
    expect(store.outbox.deadLetters('cloudwatch')).toEqual([expect.objectContaining({ outboxId: 1, error: expect.stringMatching(/^egress refused: /) as string })]);
    expect(store.outbox.backlog('cloudwatch').count).toBe(0);
    expect(store.database.audit.entries()).toEqual([]);
    store.database.close();
  });
});
