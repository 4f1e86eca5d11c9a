import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startAgent, waitForDrain } from '../../../helpers/agent-process.js';
import { metricSeries } from '../../../helpers/cloudwatch-series.js';
import { exampleBaseline, exampleRows, toEvent } from '../../../helpers/example-events.js';
import { makeTestCertificates } from '../../../helpers/test-certificates.js';

/**
 * HTTPS proxy support (SPEC §6): an agent whose only way to CloudWatch is an HTTP CONNECT proxy
 * (HTTPS_PROXY) ships through it; with the endpoint in NO_PROXY it goes direct. CloudWatch is moto
 * behind a TLS front with a test CA (trusted with NODE_EXTRA_CA_CERTS), so the TLS session runs
 * end to end through the proxy's tunnel, as it would to monitoring.<region>.amazonaws.com.
 */
const moto = new URL(inject('motoEndpoint'));
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const cw = new CloudWatchClient({ endpoint: moto.origin, region: 'eu-west-1', credentials });
const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
};

let dir: string;
let tlsFront: Server;
let proxy: Server;
let endpoint: string;
let proxyUrl: string;
let ca: string;
const tunnels: string[] = [];
const sockets: Duplex[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dw-proxy-'));
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
  const certs = makeTestCertificates();
  ca = certs.ca;
  // CloudWatch over TLS: moto behind an HTTPS front.
  tlsFront = createHttpsServer({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) }, (req, res) => {
    const upstream = request({ host: moto.hostname, port: moto.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    req.pipe(upstream);
  });
  // By name, as AWS endpoints are (the proxy agent checks the certificate against the host name).
  endpoint = `https://localhost:${await listen(tlsFront)}`;
  // An HTTP CONNECT proxy that records the tunnels it opens.
  proxy = createHttpServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req, client, head) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host === 'localhost' ? '127.0.0.1' : host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.push(client, upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  proxyUrl = `http://127.0.0.1:${await listen(proxy)}`;
}, 120_000);

afterAll(async () => {
  // Keep-alive connections and open tunnels would hold the servers open.
  for (const s of sockets) s.destroy();
  (tlsFront as Server & { closeAllConnections(): void } | undefined)?.closeAllConnections();
  proxy?.closeAllConnections();
  await new Promise((r) => tlsFront?.close(r));
  await new Promise((r) => proxy?.close(r));
});

async function ship(model: string, env: Record<string, string>): Promise<{ logs: Record<string, unknown>[]; events: number }> {
  const namespace = `DwProxy${Date.now()}`;
  const agent = await startAgent({
    models: [{ name: model, baseline: join(dir, 'loans.json') }], api: { port: 0 },
    sinks: { cloudwatch: { namespace, endpoint, region: 'eu-west-1', requestTimeoutMs: 5000 } },
  }, { dir: mkdtempSync(join(dir, 'a-')), env: { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', NODE_EXTRA_CA_CERTS: ca, ...env } });
  try {
    const t = Date.now();
    expect((await agent.postEvents(exampleRows('loans-stable.csv').slice(0, 25).map((r) => toEvent(r, model, t)))).status).toBe(200);
    expect((await agent.post('/v1/flush', '')).status).toBe(200);
    await waitForDrain(agent, 60_000, 1);
    const counts = await metricSeries(cw, namespace, 'EventCount', [{ Name: 'Model', Value: model }], { from: t - 120_000, to: t + 120_000 }, 'Sum');
    return { logs: agent.logs, events: [...counts.values()].reduce((a, b) => a + b, 0) };
  } finally {
    expect(await agent.stop()).toBe(0);
  }
}

describe('HTTPS proxy', () => {
  it('ships through the CONNECT proxy named by HTTPS_PROXY, TLS end to end, and says so without the proxy password', async () => {
    const before = tunnels.length;
    const { logs, events } = await ship('viaproxy', { HTTPS_PROXY: proxyUrl.replace('http://', 'http://user:secret@') });
    expect(events).toBe(25);
    expect(tunnels.slice(before)).toContain(endpoint.replace('https://', ''));
    const line = logs.find((l) => l.msg === 'CloudWatch is reached through a proxy.');
    expect(line?.proxy).toBe(`${proxyUrl}/`);
    expect(JSON.stringify(logs)).not.toContain('secret');
  });

  it('goes direct to an endpoint in NO_PROXY', async () => {
    const before = tunnels.length;
    const { events } = await ship('direct', { HTTPS_PROXY: proxyUrl, NO_PROXY: 'localhost,127.0.0.1' });
    expect(events).toBe(25);
    expect(tunnels.length).toBe(before);
  });
});
