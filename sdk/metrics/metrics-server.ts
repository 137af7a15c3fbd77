/**
 * A Prometheus scrape endpoint (fastify): `GET /metrics` in the text exposition format. Binds to
 * loopback unless told otherwise.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { EdgeError } from '../core/errors.js';
import { expectInteger, invalidOption, is } from '../core/validate.js';

/** Options of {@link serveMetrics}. */
export interface MetricsServerOptions {
  /** Interface to bind (default 127.0.0.1; `0.0.0.0` for every interface). */
  host?: string;
  /** TCP port (default 9464, the port Prometheus lists for exporters of this kind; 0 picks a free one). */
  port?: number;
  /** Path of the endpoint (default `/metrics`). */
  path?: string;
}

/** A running endpoint. */
export interface MetricsServer {
  /** e.g. `http://127.0.0.1:9464/metrics` */
  url: string;
  close(): Promise<void>;
}

/**
 * Adds `GET <path>` serving `registry` to a fastify app.
 * @example
 * metricsRoute(app, registry); // GET /metrics
 */
export function metricsRoute(app: FastifyInstance, registry: Registry, path = '/metrics'): void {
  app.get(path, async (_req, reply) => {
    const text = await registry.metrics();
    return reply.header('content-type', registry.contentType).header('cache-control', 'no-store').send(text);
  });
}

/**
 * Serves `registry` for Prometheus to scrape.
 * @throws EdgeError E_INVALID_ARGUMENT (options), E_IO when the port cannot be bound
 * @example
 * const { registry } = runtimeMetrics(runtime);
 * const server = await serveMetrics(registry, { port: 9464 });
 * // ... await server.close();
 */
export async function serveMetrics(registry: Registry, options: MetricsServerOptions = {}): Promise<MetricsServer> {
  if (!is.object(options)) throw invalidOption('options', 'an object like { host, port, path }', options);
  const host = options.host ?? '127.0.0.1';
  if (!is.nonEmptyString(host)) throw invalidOption('options.host', 'an interface address such as 127.0.0.1', host);
  const port = expectInteger('options.port', options.port ?? 9464, 0, 65535);
  const path = options.path ?? '/metrics';
  if (typeof path !== 'string' || !path.startsWith('/'))
    throw invalidOption('options.path', 'a path starting with /', path);
  // Loaded on use: importing the SDK does not load the HTTP server.
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  metricsRoute(app, registry, path);
  try {
    await app.listen({ host, port });
  } catch (err) {
    await app.close();
    throw new EdgeError('E_IO', `cannot serve metrics on ${host}:${port}: ${(err as Error).message}`, {
      field: 'options.port',
      cause: err,
    });
  }
  const addr = app.server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}${path}`, close: () => app.close() };
}
