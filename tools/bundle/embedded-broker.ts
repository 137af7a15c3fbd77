/**
 * An MQTT broker inside this process (aedes, MQTT 3.1.1, retained messages in memory) for
 * `publish --embedded-broker`, the ota-rollout example and tests.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { EdgeError, messageOf } from '../../sdk/core/errors.js';

/** A running embedded broker. */
export interface OtaBroker {
  /** `mqtt://host:port`. */
  readonly url: string;
  readonly port: number;
  /** Disconnects every client and stops. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts aedes on `port` (0 = a free one).
 * @throws EdgeError E_IO when the port cannot be bound
 */
export async function startOtaBroker(port = 0, host = '127.0.0.1'): Promise<OtaBroker> {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
  } catch (err) {
    await new Promise<void>((r) => aedes.close(() => r()));
    throw new EdgeError('E_IO', `cannot start a broker on ${host}:${port}: ${messageOf(err)}`, { cause: err });
  }
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `mqtt://${host}:${bound}`,
    port: bound,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((r) => server.close(() => r()));
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => aedes.close(() => r()));
        await stopped;
      })();
      return closing;
    },
  };
}
