/**
 * A drone: camera frames → RingMoE detection → MQTT, with nothing lost when the link drops.
 *
 *   npx tsx examples/drone/drone.ts                       # embedded broker, 20 frames
 *   npx tsx examples/drone/drone.ts --broker mqtt://gs.local:1883 --fleet north --device drone-7 --frames 0
 *
 * The camera is simulated from real imagery (aerial photos and views of NASA's Blue Marble) at a
 * fixed frame rate; a live camera drops the oldest frame when the model falls behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createRuntime, startEmbeddedBroker, type Frame } from '../../sdk/index.js';

const { values: args } = parseArgs({
  options: {
    broker: { type: 'string' },
    fleet: { type: 'string', default: 'demo' },
    device: { type: 'string', default: 'drone-1' },
    frames: { type: 'string', default: '20' },
    fps: { type: 'string', default: '5' },
    package: { type: 'string' },
    'state-dir': { type: 'string' },
  },
});
const data = (rel: string) => fileURLToPath(new URL(`../data/${rel}`, import.meta.url));

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

/** A camera: real frames at `fps`, forever when `count` is 0. */
async function* camera(count: number, fps: number): AsyncGenerator<Frame> {
  const photos = [
    readFileSync(data('aerial/aero1.jpg')),
    readFileSync(data('aerial/aero3.jpg')),
    readFileSync(data('aerial/aero_512x512_gray.png')),
  ];
  const earth = sharp(data('bluemarble/bluemarble_2700x1350.jpg'));
  for (let i = 0; count === 0 || i < count; i++) {
    await new Promise((r) => setTimeout(r, 1000 / fps));
    // Every other frame a 640×480 view sliding over the Blue Marble, else an aerial photo.
    const pixels =
      i % 2
        ? await earth
            .clone()
            .extract({ left: (i * 97) % 2060, top: (i * 53) % 870, width: 640, height: 480 })
            .jpeg()
            .toBuffer()
        : photos[(i / 2) % photos.length]!;
    yield { id: `${args.device}-${String(i).padStart(6, '0')}`, modality: 'optical', pixels, timestamp: Date.now() };
  }
}

const broker = args.broker ? undefined : await startEmbeddedBroker({ port: 0 });
const url = args.broker ?? broker!.url;
console.log(`broker ${url}${broker ? ' (embedded)' : ''}; fleet ${args.fleet}, device ${args.device}`);

// --- the integration: a runtime that publishes detections, fed by the camera ---
const runtime = await createRuntime({
  package: modelPackage(),
  tasks: { classification: false, segmentation: false, depth: false, detection: { scoreThreshold: 0.1 } },
  queue: { policy: 'drop-oldest', capacity: 4 },
  mqtt: { url, fleet: args.fleet, device: args.device, ...(args['state-dir'] ? { stateDir: args['state-dir'] } : {}) },
});
console.log(`model ${runtime.model.name}@${runtime.model.version} on ${runtime.backend}`);
process.once('SIGINT', () => void runtime.close());

for await (const out of runtime.run(camera(Number(args.frames), Number(args.fps)))) {
  if (!out.ok) {
    console.log(
      `${out.frameId}  ${out.stage === 'dropped' ? 'dropped (model behind the camera)' : `failed: ${out.error.message}`}`,
    );
    continue;
  }
  const boxes = out.tasks.detection!.detections;
  const labels = [...new Set(boxes.map((d) => d.label))].join(', ');
  console.log(
    `${out.frameId}  ${out.frame.width}×${out.frame.height}  ${boxes.length} detection(s)${labels ? ` (${labels})` : ''}  ${out.latencyMs.total.toFixed(0)} ms`,
  );
}
const m = runtime.metrics();
const report = await runtime.close();
console.log(
  `done: ${m.frames.completed} frames, ${m.frames.dropped} dropped, ${m.fps.toFixed(1)} fps; ${m.mqtt?.resultsPublished} result(s) published, ${report.drained ? 'all delivered' : `${report.unsentResults} waiting in the outbox`}`,
);
await broker?.close();
