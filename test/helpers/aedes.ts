/**
 * An in-process aedes broker (MQTT 3.1.1) for tests, with an outage switch: `outage()` closes the
 * listener and drops every connection (the broker is unreachable, its sessions and retained
 * messages stay in memory, like a broker with persistence), `restore()` listens again on the same port.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';

/** A running aedes. */
export interface AedesBroker {
  readonly url: string;
  readonly port: number;
  readonly aedes: Aedes;
  /** Unreachable: listener closed, every client connection destroyed. */
  outage(): Promise<void>;
  /** Reachable again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts aedes on a free loopback port. */
export async function startAedes(): Promise<AedesBroker> {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = async (): Promise<void> => {
    const s = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      aedes.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const unlisten = async (): Promise<void> => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return {
    get url() {
      return `mqtt://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    aedes,
    outage: unlisten,
    restore: listen,
    async close() {
      await unlisten();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
