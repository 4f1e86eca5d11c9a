import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Exchange } from '../../../../agent/sources/inference/exchange.js';
import { oipProxyHandler } from '../../../../agent/sources/oip/oip-proxy.js';

/**
 * The OIP reverse proxy's forwarding (issue 17, groundwork): responses reach the client exactly as
 * the server sent them, bodies stream both ways, infer exchanges are copied (within a bound) and
 * handed on after the response, and nothing the reader does can touch the response. The upstream
 * here is a plain HTTP server that answers like an OIP server; the real servers come with the
 * source's wiring.
 */
let upstream: Server;
let proxy: Server;
let upstreamUrl: string;
let proxyUrl: string;
const exchanges: Exchange[] = [];
let throwInReader = false;

const OIP_RESPONSE = JSON.stringify({ model_name: 'loans', outputs: [{ name: 'predict', shape: [1], datatype: 'INT64', data: [1] }] });

function call(base: string, method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      if (req.url === '/v2/models/broken/infer') {
        res.writeHead(500, { 'content-type': 'application/json', 'x-upstream': 'yes' });
        res.end('{"error":"model failed"}');
        return;
      }
      if (req.url?.endsWith('/infer') === true) {
        res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes', 'x-request-bytes': String(body.length) });
        res.end(OIP_RESPONSE);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name: 'loans', path: req.url, method: req.method }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  proxy = createServer(oipProxyHandler({
    upstream: new URL(upstreamUrl), copyLimitBytes: 64 * 1024,
    onExchange: (e) => {
      exchanges.push(e);
      if (throwInReader) throw new Error('a reader that fails');
    },
    onUpstreamError: () => undefined,
  }));
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => proxy?.close(r));
  await new Promise((r) => upstream?.close(r));
});

const withoutDate = (h: IncomingHttpHeaders): IncomingHttpHeaders => Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'date'));

async function nextExchange(count: number): Promise<Exchange> {
  const deadline = Date.now() + 30_000;
  while (exchanges.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return exchanges[count - 1]!;
}

describe('OIP reverse proxy', () => {
  it('answers exactly as the server does, and hands on a copy of the infer exchange afterwards', async () => {
    const body = JSON.stringify({ inputs: [{ name: 'input-0', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] });
    const direct = await call(upstreamUrl, 'POST', '/v2/models/loans/versions/3/infer', body, { 'content-type': 'application/json' });
    const proxied = await call(proxyUrl, 'POST', '/v2/models/loans/versions/3/infer', body, { 'content-type': 'application/json' });
    expect(proxied.status).toBe(direct.status);
    expect(withoutDate(proxied.headers)).toEqual(withoutDate(direct.headers));
    expect(proxied.body.equals(direct.body)).toBe(true);
    const seen = await nextExchange(1);
    expect(seen).toMatchObject({ model: 'loans', version: '3', status: 200 });
    expect(seen.request!.toString()).toBe(body);
    expect(seen.response!.toString()).toBe(OIP_RESPONSE);
  });

  it('forwards what it cannot read, and a failed model\'s answer, unchanged', async () => {
    const garbage = Buffer.from([0xff, 0x00, 0x7b, 0x22]);
    const proxied = await call(proxyUrl, 'POST', '/v2/models/loans/infer', garbage, { 'content-type': 'application/octet-stream' });
    expect(proxied.headers['x-request-bytes']).toBe('4');
    expect((await nextExchange(2)).request!.equals(garbage)).toBe(true);
    throwInReader = true;
    const failed = await call(proxyUrl, 'POST', '/v2/models/broken/infer', '{}');
    expect(failed.status).toBe(500);
    expect(failed.body.toString()).toBe('{"error":"model failed"}');
    expect(failed.headers['x-upstream']).toBe('yes');
    await nextExchange(3);
    throwInReader = false;
    // The proxy serves on after a reader that threw.
    expect((await call(proxyUrl, 'GET', '/v2/models/loans')).status).toBe(200);
  });

  it('streams a body over the copy limit through unread, and passes other requests without copying', async () => {
    const big = Buffer.alloc(200 * 1024, 0x20);
    const before = exchanges.length;
    const proxied = await call(proxyUrl, 'POST', '/v2/models/loans/infer', big);
    expect(proxied.headers['x-request-bytes']).toBe(String(big.length));
    expect((await nextExchange(before + 1)).request).toBeUndefined();
    const meta = await call(proxyUrl, 'GET', '/v2/models/loans?x=1');
    expect(JSON.parse(meta.body.toString())).toEqual({ name: 'loans', path: '/v2/models/loans?x=1', method: 'GET' });
    await new Promise((r) => setTimeout(r, 50));
    expect(exchanges.length).toBe(before + 1);
  });

  it('answers 502 when the inference server cannot be reached', async () => {
    const dead = createServer(oipProxyHandler({ upstream: new URL('http://127.0.0.1:9'), copyLimitBytes: 1024, onExchange: () => undefined, onUpstreamError: () => undefined }));
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    try {
      const res = await call(`http://127.0.0.1:${(dead.address() as AddressInfo).port}`, 'POST', '/v2/models/loans/infer', '{}');
      expect(res.status).toBe(502);
    } finally {
      await new Promise((r) => dead.close(r));
    }
  });
});
