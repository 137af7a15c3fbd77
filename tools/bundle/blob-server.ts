/**
 * Serves the blobs of one or more bundles over HTTP: `GET|HEAD /blobs/<sha256>` with single
 * Range requests (206), so devices resume interrupted downloads. Nothing else is served. Counts
 * the bytes it sends per blob, so a publisher can report what an update really transferred.
 */
import { lstat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import type { BundleDir } from './bundle-dir.js';
import { openRegular } from '../../sdk/internal.js';

/** Options of {@link startBlobServer}. */
export interface BlobServerOptions {
  /** Port (0 = a free one). */
  port?: number;
  /** Interface (default 127.0.0.1; `0.0.0.0` for devices on the network). */
  host?: string;
  /** URL devices use, when they reach the server by another name (NAT, DNS). */
  advertiseUrl?: string;
}

/** A running blob server. */
export interface BlobServer {
  /** Base URL devices fetch from. */
  readonly url: string;
  readonly port: number;
  /** Bytes of blob content sent so far. */
  readonly bytesSent: number;
  /** Requests answered, by status code. */
  readonly responses: Record<number, number>;
  /** Adds a bundle's blobs to what is served. */
  add(bundle: BundleDir): void;
  /**
   * Serves a signed desired-state message at `/desired/<fleet>` (or `/desired/<fleet>/<device>`),
   * so devices can fetch the current one over HTTP when the broker's retained copy was replaced.
   */
  setDesired(fleet: string, device: string | undefined, message: Uint8Array): void;
  /** Stops and drops open connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the server.
 * @throws EdgeError E_IO when the port cannot be bound
 * @example
 * const server = await startBlobServer([await openBundleDir('out/v2')], { port: 0 });
 */
export async function startBlobServer(bundles: BundleDir[], o: BlobServerOptions = {}): Promise<BlobServer> {
  const files = new Map<string, { path: string; size: number }>();
  const add = (b: BundleDir) => {
    files.set(b.manifestSha256, { path: `${b.dir}/bundle.json`, size: b.manifestBytes.length });
    for (const f of b.manifest.files) files.set(f.sha256, { path: b.blobPath(f.sha256), size: f.size });
  };
  bundles.forEach(add);
  const stats = { bytesSent: 0, responses: {} as Record<number, number> };
  const end = (res: ServerResponse, status: number, text = '') => {
    stats.responses[status] = (stats.responses[status] ?? 0) + 1;
    res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
  };
  const desired = new Map<string, Uint8Array>();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const d = /^\/desired\/([A-Za-z0-9._-]{1,64})(?:\/([A-Za-z0-9._-]{1,64}))?$/.exec(req.url ?? '');
    if (d && (req.method === 'GET' || req.method === 'HEAD')) {
      const msg = desired.get(d[2] === undefined ? d[1]! : `${d[1]}/${d[2]}`);
      if (!msg) return end(res, 404, 'no desired state\n');
      stats.responses[200] = (stats.responses[200] ?? 0) + 1;
      res
        .writeHead(200, {
          'content-type': 'application/json',
          'content-length': msg.length,
          'cache-control': 'no-store',
        })
        .end(req.method === 'HEAD' ? undefined : msg);
      return;
    }
    const m = /^\/blobs\/([0-9a-f]{64})$/.exec(req.url ?? '');
    if (!m || (req.method !== 'GET' && req.method !== 'HEAD')) return end(res, 404, 'not found\n');
    const f = files.get(m[1]!);
    const st = f ? await lstat(f.path).catch(() => undefined) : undefined;
    if (!f || !st?.isFile()) return end(res, 404, 'no such blob\n');
    let start = 0;
    let status = 200;
    const range = req.headers.range;
    if (range) {
      const r = /^bytes=(\d+)-$/.exec(range);
      if (!r || Number(r[1]) >= st.size) {
        stats.responses[416] = (stats.responses[416] ?? 0) + 1;
        res.writeHead(416, { 'content-range': `bytes */${st.size}` }).end();
        return;
      }
      start = Number(r[1]);
      status = 206;
    }
    stats.responses[status] = (stats.responses[status] ?? 0) + 1;
    res.writeHead(status, {
      'content-type': 'application/octet-stream',
      'content-length': st.size - start,
      'accept-ranges': 'bytes',
      ...(status === 206 ? { 'content-range': `bytes ${start}-${st.size - 1}/${st.size}` } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    // Opened without following a link: a blob swapped for one after the lstat above is not served.
    const fh = await openRegular(f.path).catch(() => undefined);
    if (!fh) return void res.destroy();
    const stream = fh.createReadStream({ start });
    stream.on('data', (chunk) => (stats.bytesSent += chunk.length));
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new EdgeError('E_IO', `cannot serve blobs on ${host}:${o.port ?? 0}: ${messageOf(err)}`, {
          field: '--http-port',
          cause: err,
        }),
      ),
    );
    server.listen(o.port ?? 0, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url:
      o.advertiseUrl ?? `http://${host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    get bytesSent() {
      return stats.bytesSent;
    },
    get responses() {
      return { ...stats.responses };
    },
    add,
    setDesired(fleet, device, message) {
      desired.set(device === undefined ? fleet : `${fleet}/${device}`, new Uint8Array(message));
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}
