/**
 * A TCP proxy between a client and a broker, so a test can cut a connection the way a network
 * does (both sockets destroyed) without touching the client object.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/** A running proxy. */
export interface TcpProxy {
  /** `mqtt://127.0.0.1:<port>` of the proxy. */
  readonly url: string;
  /** Connections currently open. */
  readonly connections: number;
  /** Destroys every open connection (both sides); new connections are still accepted. */
  cutAll(): void;
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port forwarding to `targetUrl`'s port. */
export async function startProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const cutAll = (): void => {
    for (const [a, b] of [...pairs]) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    url: `mqtt://127.0.0.1:${port}`,
    get connections() {
      return pairs.size;
    },
    cutAll,
    async close() {
      cutAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
