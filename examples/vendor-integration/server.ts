/**
 * RingMoE inside an existing Node service: an HTTP endpoint that accepts an image and answers with
 * the model's results. The integration is the block marked below — about twenty lines.
 *
 *   npx tsx examples/vendor-integration/server.ts --self-test    # start, post a photo to itself, print, stop
 *   npx tsx examples/vendor-integration/server.ts --port 8080    # then:
 *   curl --data-binary @examples/data/aerial/aero1.jpg 'http://localhost:8080/infer?modality=optical'
 *   curl --data-binary @examples/data/landsat7-olinda/L7_ETMs.tif 'http://localhost:8080/infer?modality=multispectral&sensor=landsat7-etm'
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRuntime, isEdgeError } from '../../sdk/index.js';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    package: { type: 'string' },
    'self-test': { type: 'boolean', default: false },
  },
});

/** The reference model package; written once with the toolchain CLI when absent. */
function modelPackage(): string {
  if (args.package) return args.package;
  const dir = fileURLToPath(new URL('../../.cache/examples/ringmoe-tiny', import.meta.url));
  if (!existsSync(`${dir}/ringmoe.json`)) {
    const cli = fileURLToPath(new URL('../../tools/cli/bin.ts', import.meta.url));
    execFileSync(process.execPath, ['--import', 'tsx', cli, 'reference', 'ringmoe-tiny', '-o', dir, '--force'], {
      stdio: 'inherit',
    });
  }
  return dir;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------- the integration (≈ 20 lines)
const runtime = await createRuntime({ package: modelPackage(), tasks: { segmentation: { includeRasters: false } } });
let served = 0;

async function infer(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
  try {
    const result = await runtime.infer({
      id: `http-${++served}`,
      modality: query.get('modality') ?? 'optical',
      pixels: await body(req), // JPEG, PNG, WebP or (Geo)TIFF bytes
      timestamp: Date.now(),
      ...(query.get('sensor') ? { sensor: query.get('sensor')! } : {}),
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
  } catch (err) {
    // Bad images and unknown modalities are the client's fault (400), with the SDK's reason.
    const status = isEdgeError(err) && /^E_(FRAME|UNKNOWN_MODALITY|INVALID_ARGUMENT)/.test(err.code) ? 400 : 500;
    res
      .writeHead(status, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: isEdgeError(err) ? err.toJSON() : String(err) }));
  }
}
process.once('SIGTERM', () => void runtime.close().then(() => process.exit(0)));
// ---------------------------------------------------------------- end of the integration

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'POST' && url.pathname === '/infer') return void infer(req, res, url.searchParams);
  if (req.method === 'GET' && url.pathname === '/metrics')
    return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(runtime.metrics()));
  res
    .writeHead(404, { 'content-type': 'text/plain' })
    .end('POST /infer?modality=optical with an image body, or GET /metrics\n');
});
await new Promise<void>((r) => server.listen(args['self-test'] ? 0 : Number(args.port), '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
console.log(`listening on ${base} (model ${runtime.model.name}@${runtime.model.version} on ${runtime.backend})`);

if (args['self-test']) {
  const photo = readFileSync(fileURLToPath(new URL('../data/aerial/aero1.jpg', import.meta.url)));
  const ok = await fetch(`${base}/infer?modality=optical`, { method: 'POST', body: photo });
  const r = (await ok.json()) as {
    frameId: string;
    frame: { width: number; height: number };
    tasks: Record<string, { top?: { label: string; score: number }[]; detections?: unknown[] }>;
    latencyMs: { total: number };
  };
  console.log(
    `POST aero1.jpg → ${ok.status}: ${r.frame.width}×${r.frame.height}, tasks ${Object.keys(r.tasks).join(', ')}; top class ${r.tasks.classification?.top?.[0]?.label}; ${r.tasks.detection?.detections?.length} detection(s); ${r.latencyMs.total.toFixed(0)} ms`,
  );
  const bad = await fetch(`${base}/infer?modality=optical`, { method: 'POST', body: photo.subarray(0, 1000) });
  console.log(
    `POST a truncated JPEG → ${bad.status}: ${((await bad.json()) as { error: { code: string } }).error.code}`,
  );
  server.close();
  await runtime.close();
}
