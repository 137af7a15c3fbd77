/**
 * An MQTT broker inside this process (aedes), for demos, tests and a single ground station without
 * infrastructure. aedes speaks MQTT 3.1.1 only, so publishers in `auto` mode fall back to 3.1.1 and
 * shared subscriptions are not available. Sessions and retained messages live in memory.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { EdgeError, messageOf } from '../core/errors.js';
import { expectInteger, expectString, invalidOption, is, rejectUnknownKeys } from '../core/validate.js';

/** Options of {@link startEmbeddedBroker}. */
export interface EmbeddedBrokerOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on; default `127.0.0.1` (use `0.0.0.0` to accept devices on the network). */
  host?: string;
}

/** A running embedded broker. */
export interface EmbeddedBroker {
  /** `mqtt://host:port`, ready for publishers and consumers. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Number of connected clients. */
  readonly clients: number;
  /** Disconnects every client and stops the broker. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts aedes on a TCP port.
 * @throws EdgeError E_INVALID_ARGUMENT (options), E_IO (the port cannot be bound)
 * @example
 * const broker = await startEmbeddedBroker({ port: 0 });
 * const publisher = await ResultPublisher.create({ url: broker.url, fleet: 'demo', device: 'cam-1' });
 * // ...
 * await publisher.close();
 * await broker.close();
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  if (!is.object(options as unknown)) throw invalidOption('options', 'an object', options);
  rejectUnknownKeys('options', options as Record<string, unknown>, ['port', 'host']);
  const port = options.port === undefined ? 0 : expectInteger('options.port', options.port, 0, 65535);
  const host = options.host === undefined ? '127.0.0.1' : expectString('options.host', options.host);
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  } catch (err) {
    await new Promise<void>((r) => aedes.close(() => r()));
    throw new EdgeError('E_IO', `cannot listen on ${host}:${port}: ${messageOf(err)}`, {
      field: 'options.port',
      cause: err,
    });
  }
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `mqtt://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    host,
    port: bound,
    get clients() {
      return aedes.connectedClients;
    },
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
