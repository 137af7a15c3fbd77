/**
 * Child process for the "a worker that dies" test of ort-worker.test.ts: loads a graph in an
 * onnxruntime worker thread, terminates the thread while a batch runs in it, and prints one JSON
 * line of what the session then said. It runs apart from the test process because terminating a
 * thread inside onnxruntime-node can abort the whole process (a native completion throwing into a
 * torn-down environment); an abort here costs this child, not the test runner.
 *
 * Usage: ort-worker-death-child.ts <package dir> <entry name>
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { EdgeError } from '../../../../sdk/core/errors.js';
import type { PackageManifest } from '../../../../sdk/package/package-manifest.js';
import { OrtWorkerBackend } from '../../../../sdk/runtime/backends/ort-worker.js';
import { randomFeeds } from '../../../helpers/packages.js';
import { rejection } from '../../../helpers/rejection.js';

/** What the parent asserts on: the code, file and message of each refusal, and the session's state. */
export interface DeathReport {
  threadIdMatches: boolean;
  inFlight: { code: string; file?: string; message: string };
  workerStopped?: string;
  later: { code: string; message: string };
  afterDispose: { code: string };
}

// The package and entry by name: a long argument (the entry's JSON) made this process crash in
// onnxruntime-node as soon as its worker loaded the graph.
const [dir, entryName] = process.argv.slice(2) as [string, string];
const manifest = JSON.parse(readFileSync(join(dir, 'ringmoe.json'), 'utf8')) as PackageManifest;
const entry = manifest.entries.find((e) => e.name === entryName)!;
const graphPath = join(dir, entry.graph);
const seen = (e: EdgeError) => ({
  code: e.code,
  ...(e.file !== undefined ? { file: e.file } : {}),
  message: e.message,
});

let worker: Worker | undefined;
const s = await new OrtWorkerBackend({ onWorker: (w) => (worker = w) }).load({ graphPath, threads: 1 });
const threadIdMatches = worker !== undefined && s.info.threadId === worker.threadId;
const inFlight = s.run(randomFeeds(entry, 16, 10));
// Killed while the batch is in flight (posting it was synchronous; the batch takes milliseconds).
await worker!.terminate();
const inFlightErr = await rejection(inFlight);
const workerStopped = s.info.workerStopped;
const later = await rejection(s.run(randomFeeds(entry, 1, 11)));
await s.dispose(); // still resolves
const afterDispose = await rejection(s.run(randomFeeds(entry, 1, 11)));
const report: DeathReport = {
  threadIdMatches,
  inFlight: seen(inFlightErr),
  ...(workerStopped !== undefined ? { workerStopped: String(workerStopped) } : {}),
  later: seen(later),
  afterDispose: { code: afterDispose.code },
};
process.stdout.write(`${JSON.stringify(report)}\n`, () =>
  // Out at once: onnxruntime's completion of the killed run can still abort this process later.
  process.exit(0),
);
