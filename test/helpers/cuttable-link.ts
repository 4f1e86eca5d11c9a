import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** How the link behaves: forwarding, or cut as a VPN outage cuts it. */
export type LinkState = 'up' | 'blackhole';

/** A TCP relay on loopback between a client and a real peer, which a test can cut and restore. */
export interface CuttableLink {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `blackhole`: connections in progress are dropped and new ones accepted but never answered (a dead VPN: the client times out). */
  set(state: LinkState): void;
  /** Connections accepted while the link was black-holed. */
  readonly blackholed: number;
  close(): Promise<void>;
}

/** Starts a relay to `target` (`http://host:port`) on a free loopback port. */
export async function cuttableLink(target: string): Promise<CuttableLink> {
  const { hostname, port } = new URL(target);
  let state: LinkState = 'up';
  let blackholed = 0;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    if (state === 'blackhole') {
      blackholed++;
      client.pause(); // read nothing, answer nothing
      return;
    }
    const upstream = createConnection({ host: hostname, port: Number(port) });
    open.add(upstream);
    upstream.on('close', () => { open.delete(upstream); client.destroy(); });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    set(next) {
      state = next;
      if (next === 'blackhole') for (const s of open) s.destroy();
    },
    get blackholed() {
      return blackholed;
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
