/**
 * The ground station: subscribes to a fleet (FleetConsumer, plus the OTA state topics), keeps a
 * {@link StationState}, and serves with fastify a live page (`/`, static assets shipped in the
 * package, no build step), its data (`/api/state`), live updates as server-sent events
 * (`/events`) and Prometheus metrics (`/metrics`). Binds to loopback unless told otherwise;
 * optional basic auth and TLS.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import { expectInteger, invalidOption, is } from '../../sdk/internal.js';
import { metricsRoute } from '../../sdk/internal.js';
import { FleetConsumer } from '../../sdk/internal.js';
import type { BrokerAuth, FleetSummary, TrustStore } from '../../sdk/internal.js';
import { FleetWatcher } from '../bundle/fleet-status.js';
import { stationAssetsDir } from './assets-dir.js';
import { stationMetrics } from './station-metrics.js';
import { StationState, type StationSnapshot } from './station-state.js';

/** Options of {@link startStation}. */
export interface StationOptions {
  /** Broker URL, e.g. `mqtt://localhost:1883`. */
  broker: string;
  fleet: string;
  /** Topic prefix (default `ringmoe`). */
  prefix?: string;
  /** Broker credentials and TLS material (user name and password, fleet CA, client certificate). */
  brokerAuth?: BrokerAuth;
  /**
   * The fleet's trust file: results, births and deaths count only when signed by the device's own
   * key, OTA reports only when signed; the rest are counted apart as unverified.
   */
  trust?: TrustStore;
  /** Interface to bind (default 127.0.0.1; `0.0.0.0` for every interface). */
  host?: string;
  /** TCP port (default 8750; 0 picks a free one). */
  port?: number;
  /** Ask browsers for these credentials (HTTP basic auth); with `tls`, they travel encrypted. */
  auth?: { username: string; password: string };
  /** Serve HTTPS with this PEM key and certificate. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Least time between two live updates to the page (default 250 ms). */
  updateMs?: number;
}

/** A running station. */
export interface Station {
  /** The page, e.g. `http://127.0.0.1:8750/`. */
  readonly url: string;
  /** The current picture. */
  snapshot(): StationSnapshot;
  /** Stops serving and unsubscribes; returns the final fleet summary. Idempotent. */
  close(): Promise<FleetSummary>;
}

/** Bytes a page may leave unread before it is disconnected. */
const MAX_BUFFERED = 16 << 20;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Starts a station.
 * @throws EdgeError E_INVALID_ARGUMENT (options), E_MQTT_OFFLINE (broker), E_IO (port in use),
 *   E_FILE_NOT_FOUND (page assets missing)
 * @example
 * const station = await startStation({ broker: 'mqtt://localhost:1883', fleet: 'north' });
 * console.log(`open ${station.url}`);
 */
export async function startStation(options: StationOptions): Promise<Station> {
  const o = checkOptions(options);
  const assets = loadAssets(stationAssetsDir());
  const consumer = await FleetConsumer.create({
    url: o.broker,
    fleet: o.fleet,
    ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
    ...(o.brokerAuth ?? {}),
    ...(o.trust ? { trust: o.trust } : {}),
  });
  let watcher: FleetWatcher | undefined;
  try {
    watcher = await FleetWatcher.start({
      broker: o.broker,
      ...(o.brokerAuth ? { auth: o.brokerAuth } : {}),
      ...(o.trust ? { trust: o.trust } : {}),
      fleet: o.fleet,
      ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
    });
  } catch (err) {
    await consumer.close();
    throw err;
  }
  const state = new StationState(o.fleet);
  let online = true;
  const clients = new Set<ServerResponse>();
  const metrics = stationMetrics(() => ({ snapshot: snapshot(), online, clients: clients.size }));
  const snapshot = () => state.snapshot(consumer.summary());

  // Live updates: at most one per `updateMs`, and only when something changed.
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  const push = () => {
    timer = undefined;
    if (!dirty || clients.size === 0) return;
    dirty = false;
    const frame = `event: snapshot\ndata: ${JSON.stringify(snapshot())}\n\n`;
    for (const c of clients) {
      // A page that stopped reading (a suspended tab, a dead link) is dropped rather than buffered
      // without bound; a browser reconnects on its own and gets a fresh snapshot.
      if (c.writableLength > MAX_BUFFERED) {
        clients.delete(c);
        c.destroy();
      } else c.write(frame);
    }
  };
  const changed = () => {
    dirty = true;
    timer ??= setTimeout(push, o.updateMs);
  };
  consumer.on('result', (r) => {
    const first = state.result(r);
    const msg = r.result as { latencyMs?: { total?: unknown } } | null;
    if (first)
      metrics.observeFrame(
        r.device,
        typeof msg?.latencyMs?.total === 'number' ? msg.latencyMs.total : undefined,
        r.receivedAt - r.ts,
      );
    changed();
  });
  consumer.on('birth', (b) => {
    state.liveness(b.device, 'birth', `online (bdSeq ${b.bdSeq}${b.modelVersion ? `, ${b.modelVersion}` : ''})`);
    changed();
  });
  consumer.on('death', (d, { stale }) => {
    if (!stale)
      state.liveness(d.device, 'death', `offline (bdSeq ${d.bdSeq}${d.graceful ? ', graceful' : ', connection lost'})`);
    changed();
  });
  consumer.on('metrics', (m) => {
    state.metrics(m);
    changed();
  });
  consumer.on('state', changed);
  consumer.on('malformed', (e) => {
    state.malformed(e.message);
    changed();
  });
  consumer.on('offline', () => {
    online = false;
    changed();
  });
  consumer.on('connected', () => {
    online = true;
    changed();
  });
  const offOta = watcher.onChange(() => {
    for (const r of watcher!.devices()) state.ota(r);
    changed();
  });
  for (const r of watcher.devices()) state.ota(r);
  const sampler = setInterval(() => {
    state.sample();
    changed();
  }, 1000);
  sampler.unref();

  const app: FastifyInstance = Fastify({
    logger: false,
    ...(o.tls ? { https: { key: o.tls.key, cert: o.tls.cert } } : {}),
  }) as unknown as FastifyInstance;
  if (o.auth) {
    const expected = createHash('sha256')
      .update(`Basic ${Buffer.from(`${o.auth.username}:${o.auth.password}`).toString('base64')}`)
      .digest();
    app.addHook('onRequest', async (req, reply) => {
      const given = createHash('sha256')
        .update(req.headers.authorization ?? '')
        .digest();
      if (!timingSafeEqual(given, expected))
        return reply
          .code(401)
          .header('www-authenticate', 'Basic realm="ringmoe-edge station", charset="UTF-8"')
          .send('authentication required');
      return undefined;
    });
  }
  app.get('/', async (_req, reply) =>
    reply.type(TYPES['.html']!).header('cache-control', 'no-cache').send(assets.get('index.html')),
  );
  app.get<{ Params: { file: string } }>('/assets/:file', async (req, reply) => {
    const body = assets.get(req.params.file);
    if (!body) return reply.code(404).send('not found');
    return reply
      .type(TYPES[extname(req.params.file)] ?? 'application/octet-stream')
      .header('cache-control', 'max-age=300')
      .send(body);
  });
  app.get('/api/state', async () => snapshot());
  app.get('/events', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(snapshot())}\n\n`);
    clients.add(res);
    req.raw.on('close', () => clients.delete(res));
  });
  metricsRoute(app, metrics.registry);
  const heartbeat = setInterval(() => {
    for (const c of clients) c.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();

  const stop = async () => {
    clearInterval(sampler);
    clearInterval(heartbeat);
    if (timer) clearTimeout(timer);
    offOta();
    for (const c of clients) c.end();
    clients.clear();
    await app.close();
    await watcher!.close();
    return consumer.close();
  };
  try {
    await app.listen({ host: o.host, port: o.port });
  } catch (err) {
    await stop().catch(() => undefined);
    throw new EdgeError('E_IO', `cannot serve the station on ${o.host}:${o.port}: ${messageOf(err)}`, {
      field: 'options.port',
      hint: 'pick another --port, or 0 for a free one',
      cause: err,
    });
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const host = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
  const url = `${o.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  let closing: Promise<FleetSummary> | undefined;
  return {
    url,
    snapshot,
    close: () => (closing ??= stop()),
  };
}

interface Resolved extends StationOptions {
  host: string;
  port: number;
  updateMs: number;
}

function checkOptions(o: StationOptions): Resolved {
  if (!is.object(o)) throw invalidOption('options', 'an object with { broker, fleet }', o);
  if (!is.nonEmptyString(o.broker))
    throw invalidOption('options.broker', 'a broker URL such as mqtt://localhost:1883', o.broker);
  if (!is.nonEmptyString(o.fleet)) throw invalidOption('options.fleet', 'a fleet name', o.fleet);
  const host = o.host ?? '127.0.0.1';
  if (!is.nonEmptyString(host)) throw invalidOption('options.host', 'an interface address such as 127.0.0.1', host);
  if (
    o.auth !== undefined &&
    !(
      is.object(o.auth) &&
      is.nonEmptyString(o.auth.username) &&
      typeof o.auth.password === 'string' &&
      o.auth.password.length > 0
    )
  ) {
    throw invalidOption('options.auth', 'a non-empty { username, password }', o.auth ? '{…}' : o.auth);
  }
  if (o.tls !== undefined && !(is.object(o.tls) && o.tls.key && o.tls.cert))
    throw invalidOption('options.tls', 'PEM { key, cert }', o.tls ? '{…}' : o.tls);
  return {
    ...o,
    host,
    port: expectInteger('options.port', o.port ?? 8750, 0, 65535),
    updateMs: expectInteger('options.updateMs', o.updateMs ?? 250, 0, 60_000),
  };
}

/** Reads every asset once (the page is small), by file name. */
function loadAssets(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(dir)) if (TYPES[extname(name)]) files.set(name, readFileSync(join(dir, name)));
  return files;
}
