import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One HTTP request as it crossed the link, its body decoded from gzip when it was sent so. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The body as sent (possibly gzip). */
  raw: Buffer;
  /** The body after content decoding. */
  body: Buffer;
}

/** A TCP proxy on loopback that forwards to a target and records every byte, both ways. */
export interface RecordingProxy {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** Every byte that crossed, per connection and direction. */
  bytes(): { up: Buffer; down: Buffer }[];
  /** The HTTP/1.1 requests the client sent. */
  requests(): SeenRequest[];
  close(): Promise<void>;
}

/** Splits a client-to-server HTTP/1.1 byte stream into requests (content-length or chunked bodies). */
export function parseHttpRequests(stream: Buffer): SeenRequest[] {
  const out: SeenRequest[] = [];
  let at = 0;
  while (at < stream.length) {
    const headEnd = stream.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const [requestLine, ...lines] = stream.subarray(at, headEnd).toString('latin1').split('\r\n');
    const [method = '', path = ''] = requestLine!.split(' ');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    let pos = headEnd + 4;
    let raw: Buffer;
    if ((headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = stream.indexOf('\r\n', pos);
        const size = parseInt(stream.subarray(pos, lineEnd).toString('latin1'), 16);
        pos = lineEnd + 2;
        if (size === 0) {
          pos = stream.indexOf('\r\n', pos) + 2;
          break;
        }
        parts.push(stream.subarray(pos, pos + size));
        pos += size + 2;
      }
      raw = Buffer.concat(parts);
    } else {
      const length = Number(headers['content-length'] ?? 0);
      raw = stream.subarray(pos, pos + length);
      pos += length;
    }
    const body = headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
    out.push({ method, path, headers, raw, body });
    at = pos;
  }
  return out;
}

/** Starts a recording proxy in front of `target` (host:port). */
export async function startRecordingProxy(target: { host: string; port: number }): Promise<RecordingProxy> {
  const links: { up: Buffer[]; down: Buffer[] }[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const link = { up: [] as Buffer[], down: [] as Buffer[] };
    links.push(link);
    const upstream = createConnection(target);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      link.up.push(Buffer.from(chunk));
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      link.down.push(Buffer.from(chunk));
      client.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    bytes: () => links.map((l) => ({ up: Buffer.concat(l.up), down: Buffer.concat(l.down) })),
    requests: () => links.flatMap((l) => parseHttpRequests(Buffer.concat(l.up))),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
