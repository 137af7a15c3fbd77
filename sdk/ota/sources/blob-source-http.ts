/**
 * Blobs over HTTP(S): `GET <base>/blobs/<sha256>`, resumed with a Range request from the bytes
 * already held. A server that ignores Range (200) restarts the blob from zero; one that sends
 * more bytes than the manifest lists is cut off (E_BLOB_HASH).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { EdgeError, messageOf } from '../../core/errors.js';
import type { BlobRequest, BlobSource, SourceFetchOptions } from './blob-source.js';
import type { BlobWriter } from '../slots/slot-store.js';

/** Options of {@link HttpBlobSource}. */
export interface HttpBlobSourceOptions {
  /** No byte for this long fails the attempt (it is retried and resumed). Default 15000 ms. */
  idleTimeoutMs?: number;
  /** CA certificates etc. for HTTPS (passed to the https agent). */
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
}

/**
 * A blob server.
 * @example
 * const source = new HttpBlobSource('http://10.0.0.2:8080');
 * await fetchBlob(store, { sha256, size }, [source]);
 */
export class HttpBlobSource implements BlobSource {
  readonly name: string;
  private readonly base: URL;
  private readonly agent: HttpAgent;

  /** @throws EdgeError E_INVALID_ARGUMENT for a URL that is not http(s) */
  constructor(
    baseUrl: string,
    private readonly o: HttpBlobSourceOptions = {},
  ) {
    let url: URL;
    try {
      url = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    } catch {
      throw new EdgeError('E_INVALID_ARGUMENT', `blob source ${JSON.stringify(baseUrl)} is not a URL`, {
        field: 'sources.http',
      });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new EdgeError('E_INVALID_ARGUMENT', `blob source ${baseUrl} is not http(s)`, { field: 'sources.http' });
    this.base = url;
    this.name = `http ${url.origin}`;
    this.agent =
      url.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true, ...(o.tls ?? {}) })
        : new HttpAgent({ keepAlive: true });
  }

  async fetch(blob: BlobRequest, writer: BlobWriter, o: SourceFetchOptions = {}): Promise<void> {
    const url = new URL(`blobs/${blob.sha256}`, this.base);
    const offset = writer.offset;
    const res = await this.get(url, offset, o.signal);
    if (res.statusCode === 404) {
      res.resume();
      throw new EdgeError('E_BLOB_MISSING', `${url.pathname} is not on the server (404)`);
    }
    if (res.statusCode === 416) {
      res.resume();
      await writer.reset();
      throw new EdgeError('E_IO', `server refused range ${offset}- (416); starting again from zero`);
    }
    if (res.statusCode === 206) {
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
      if (!m || Number(m[1]) !== offset) {
        res.resume();
        await writer.reset();
        throw new EdgeError(
          'E_IO',
          `server answered a range from ${m?.[1] ?? 'nowhere'} instead of ${offset}; starting again from zero`,
        );
      }
    } else if (res.statusCode === 200) {
      if (offset > 0) await writer.reset();
    } else {
      res.resume();
      throw new EdgeError('E_IO', `server answered HTTP ${res.statusCode} for ${url.pathname}`);
    }
    let written = writer.offset;
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        if (written + chunk.length > blob.size) {
          res.destroy();
          throw new EdgeError('E_BLOB_HASH', `server sent more than the ${blob.size} bytes the manifest lists`);
        }
        await writer.write(chunk);
        written += chunk.length;
        o.onBytes?.(chunk.length);
      }
    } catch (err) {
      if (err instanceof EdgeError) throw err;
      throw new EdgeError('E_IO', `download of ${url.pathname} broke off at byte ${written}: ${messageOf(err)}`, {
        cause: err,
      });
    }
    // The response ended normally (a cut connection throws above): the server's copy is short.
    if (written < blob.size)
      throw new EdgeError(
        'E_BLOB_HASH',
        `server's copy of ${url.pathname} ends at byte ${written} of the ${blob.size} the manifest lists (truncated)`,
      );
  }

  private get(url: URL, offset: number, signal?: AbortSignal): Promise<IncomingMessage> {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'GET',
          agent: this.agent,
          headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
          ...(signal ? { signal } : {}),
        },
        resolve,
      );
      req.setTimeout(this.o.idleTimeoutMs ?? 15000, () =>
        req.destroy(new Error(`no data for ${this.o.idleTimeoutMs ?? 15000} ms`)),
      );
      req.on('error', (err) =>
        reject(new EdgeError('E_IO', `cannot reach ${url.origin}: ${messageOf(err)}`, { cause: err })),
      );
      req.end();
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}
