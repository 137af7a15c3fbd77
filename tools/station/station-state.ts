/**
 * What the station page shows, built from a fleet's messages: per device its liveness, model, OTA
 * state and latest frame (every task's result of it, footprints in lon/lat), a timeline of
 * results and failures, detection counts per class, and the fleet's throughput and latency.
 * Pure: feed it the consumer's events, read snapshots.
 */
import type { ReceivedResult } from '../../sdk/internal.js';
import type { FleetSummary } from '../../sdk/internal.js';
import type { MetricsPayload } from '../../sdk/internal.js';
import type { AgentReport } from '../../sdk/internal.js';
import { LatencyWindow, RateMeter } from '../../sdk/internal.js';
import { toLonLat, type LonLat } from './geo.js';

/** The latest frame of a device: its tasks' results as they arrive. */
export interface LatestFrame {
  frameId: string;
  modality?: string;
  entry?: string;
  /** Device time of the frame (its timestamp as given). */
  timestamp?: number | string;
  receivedAt: number;
  width?: number;
  height?: number;
  crs?: string;
  /** Frame corners in lon/lat, when georeferenced in a CRS the map can draw. */
  footprint?: LonLat[];
  /** Task → result, typed-array rasters replaced by small grids (depth) or left out. */
  tasks: Record<string, unknown>;
  latencyMs?: Record<string, number>;
  model?: string;
}

/** One line of the timeline. */
export interface TimelineEntry {
  at: number;
  device: string;
  kind: 'frame' | 'failure' | 'drop' | 'birth' | 'death' | 'ota' | 'malformed';
  text: string;
}

/** A device as the page shows it. */
export interface StationDevice {
  device: string;
  online?: boolean;
  modelVersion?: string;
  lastSeen: number;
  results: Record<string, number>;
  frames: number;
  duplicates: number;
  /** Failed and dropped frames the device reported in its metrics. */
  failed: number;
  dropped: number;
  outbox?: { pending: number; dropped: number };
  fps?: number;
  ota?: { state: string; current?: string; target?: string; progress?: number; outcome?: string; at: string };
  latest?: LatestFrame;
  /** Detections per class label, since the station started. */
  classes: Record<string, number>;
}

/** The whole picture (what `/api/state` and each server-sent event carry). */
export interface StationSnapshot {
  fleet: string;
  at: number;
  devices: StationDevice[];
  timeline: TimelineEntry[];
  classes: Record<string, number>;
  totals: FleetSummary['totals'] & { frames: number; failed: number; dropped: number };
  throughput: { framesPerSecond: number; resultsPerSecond: number; history: number[] };
  latencyMs: { pipeline: { p50: number; p95: number }; delivery: { p50: number; p95: number } };
}

const TIMELINE = 200;
const HISTORY = 120;
/** Largest side of a depth grid sent to the page. */
const DEPTH_GRID = 96;

interface DeviceExtra {
  frames: number;
  failed: number;
  dropped: number;
  classes: Record<string, number>;
  latest?: LatestFrame;
  ota?: StationDevice['ota'];
  fps?: number;
  reported?: { failed: number; dropped: number };
}

/**
 * The station's model of the fleet.
 * @example
 * const state = new StationState('north');
 * consumer.on('result', (r) => state.result(r));
 * state.snapshot(consumer.summary());
 */
export class StationState {
  private readonly extra = new Map<string, DeviceExtra>();
  private readonly timeline: TimelineEntry[] = [];
  private readonly classes: Record<string, number> = {};
  private readonly frameRate: RateMeter;
  private readonly resultRate: RateMeter;
  private readonly pipeline = new LatencyWindow(1024);
  private readonly delivery = new LatencyWindow(1024);
  private readonly history: number[] = [];
  private frames = 0;

  constructor(
    readonly fleet: string,
    private readonly now: () => number = Date.now,
  ) {
    this.frameRate = new RateMeter(10_000, now);
    this.resultRate = new RateMeter(10_000, now);
  }

  /** A new (not duplicate) result message. Returns true when it is the first message of a frame. */
  result(r: ReceivedResult): boolean {
    const x = this.device(r.device);
    this.resultRate.tick();
    const msg = (typeof r.result === 'object' && r.result !== null ? r.result : {}) as Record<string, unknown>;
    // Runtime messages wrap the task's result with the frame's record; other publishers may not.
    const wrapped = typeof msg.frameId === 'string' && 'result' in msg;
    const frameId = r.frameId ?? (wrapped ? (msg.frameId as string) : r.id);
    let latest = x.latest;
    const first = !latest || latest.frameId !== frameId;
    if (!latest || latest.frameId !== frameId) {
      latest = { frameId, receivedAt: r.receivedAt, tasks: {} };
      x.latest = latest;
      x.frames++;
      this.frames++;
      this.frameRate.tick();
      if (wrapped) this.frameInfo(latest, msg);
      if (
        typeof msg.latencyMs === 'object' &&
        msg.latencyMs !== null &&
        typeof (msg.latencyMs as { total?: unknown }).total === 'number'
      )
        this.pipeline.add((msg.latencyMs as { total: number }).total);
      this.delivery.add(Math.max(0, r.receivedAt - r.ts));
      this.log({
        at: r.receivedAt,
        device: r.device,
        kind: 'frame',
        text: `${frameId}${latest.modality ? ` ${latest.modality}` : ''}`,
      });
    }
    const value = wrapped ? msg.result : r.result;
    latest.tasks[r.task] = forPage(value, toLonLat(latest.crs));
    if (r.modelVersion) latest.model = r.modelVersion;
    const entry = this.timeline.find((e) => e.kind === 'frame' && e.device === r.device && e.text.startsWith(frameId));
    if (entry)
      entry.text = `${frameId}${latest.modality ? ` ${latest.modality}` : ''}: ${Object.keys(latest.tasks)
        .map((t) => describeTask(t, latest.tasks[t]))
        .join(', ')}`;
    if (r.task === 'detection') this.countDetections(x, value);
    return first;
  }

  /** A birth or death (liveness itself comes from the consumer's summary). */
  liveness(device: string, kind: 'birth' | 'death', text: string): void {
    this.device(device);
    this.log({ at: this.now(), device, kind, text });
  }

  /** A device's metrics message: failures and drops it counted since the last one go to the timeline. */
  metrics(m: MetricsPayload): void {
    const x = this.device(m.device);
    const failed = num(m.metrics['frames.failed']);
    const dropped = num(m.metrics['frames.dropped']);
    const fps = num(m.metrics.fps);
    if (fps !== undefined) x.fps = fps;
    if (failed !== undefined) {
      const before = x.reported?.failed ?? 0;
      // A restarted device counts from 0 again.
      const newFailed = failed >= before ? failed - before : failed;
      const newDropped =
        dropped !== undefined
          ? dropped >= (x.reported?.dropped ?? 0)
            ? dropped - (x.reported?.dropped ?? 0)
            : dropped
          : 0;
      x.failed += newFailed;
      x.dropped += newDropped;
      x.reported = { failed, dropped: dropped ?? 0 };
      if (newFailed - newDropped > 0)
        this.log({
          at: this.now(),
          device: m.device,
          kind: 'failure',
          text: `${newFailed - newDropped} frame(s) failed`,
        });
      if (newDropped > 0)
        this.log({
          at: this.now(),
          device: m.device,
          kind: 'drop',
          text: `${newDropped} frame(s) dropped (pipeline full)`,
        });
    }
  }

  /** An OTA agent report. */
  ota(r: AgentReport): void {
    const x = this.device(r.device);
    const before = x.ota?.state;
    const p = r.progress;
    x.ota = {
      state: r.state,
      ...(r.current ? { current: `${r.current.name}@${r.current.version}` } : {}),
      ...(r.target ? { target: `${r.target.name}@${r.target.version}` } : {}),
      ...(p && p.bytesNeeded > 0 ? { progress: Math.min(1, p.bytesDone / p.bytesNeeded) } : {}),
      ...(r.outcome
        ? {
            outcome: `${r.outcome.result}${r.outcome.bundle ? ` ${r.outcome.bundle.version}` : ''}${r.outcome.code ? ` ${r.outcome.code}` : ''}`,
          }
        : {}),
      at: r.at,
    };
    if (before !== r.state)
      this.log({
        at: this.now(),
        device: r.device,
        kind: 'ota',
        text: `OTA ${r.state}${r.transition !== 'none' ? ` (${r.transition})` : ''}`,
      });
  }

  /** A message that was not a valid payload. */
  malformed(text: string): void {
    this.log({ at: this.now(), device: '-', kind: 'malformed', text });
  }

  /** Samples the throughput for the history chart (call once a second). */
  sample(): void {
    this.history.push(Number(this.frameRate.rate().toFixed(3)));
    if (this.history.length > HISTORY) this.history.shift();
  }

  /** The current picture, merged with the consumer's fleet summary (liveness, counts). */
  snapshot(summary: FleetSummary): StationSnapshot {
    const devices = summary.devices.map((d): StationDevice => {
      const x = this.device(d.device);
      return {
        device: d.device,
        ...(d.online !== undefined ? { online: d.online } : {}),
        ...(d.modelVersion !== undefined ? { modelVersion: d.modelVersion } : {}),
        lastSeen: d.lastSeen,
        results: d.results,
        frames: x.frames,
        duplicates: d.duplicates,
        failed: x.failed,
        dropped: x.dropped,
        ...(d.latestMetrics?.outbox
          ? { outbox: { pending: d.latestMetrics.outbox.pending, dropped: d.latestMetrics.outbox.dropped } }
          : {}),
        ...(x.fps !== undefined ? { fps: x.fps } : {}),
        ...(x.ota ? { ota: x.ota } : {}),
        ...(x.latest ? { latest: x.latest } : {}),
        classes: x.classes,
      };
    });
    // Devices known only from OTA reports.
    for (const [name, x] of this.extra)
      if (!devices.some((d) => d.device === name) && x.ota)
        devices.push({
          device: name,
          lastSeen: 0,
          results: {},
          frames: 0,
          duplicates: 0,
          failed: 0,
          dropped: 0,
          ota: x.ota,
          classes: {},
        });
    const p = this.pipeline.percentiles();
    const q = this.delivery.percentiles();
    return {
      fleet: this.fleet,
      at: this.now(),
      devices,
      timeline: this.timeline.slice(-TIMELINE).reverse(),
      classes: { ...this.classes },
      totals: {
        ...summary.totals,
        frames: this.frames,
        failed: devices.reduce((s, d) => s + d.failed, 0),
        dropped: devices.reduce((s, d) => s + d.dropped, 0),
      },
      throughput: {
        framesPerSecond: this.frameRate.rate(),
        resultsPerSecond: this.resultRate.rate(),
        history: [...this.history],
      },
      latencyMs: { pipeline: { p50: p.p50, p95: p.p95 }, delivery: { p50: q.p50, p95: q.p95 } },
    };
  }

  private frameInfo(latest: LatestFrame, msg: Record<string, unknown>): void {
    if (typeof msg.modality === 'string') latest.modality = msg.modality;
    if (typeof msg.entry === 'string') latest.entry = msg.entry;
    if (typeof msg.timestamp === 'number' || typeof msg.timestamp === 'string') latest.timestamp = msg.timestamp;
    if (typeof msg.latencyMs === 'object' && msg.latencyMs !== null)
      latest.latencyMs = msg.latencyMs as Record<string, number>;
    const f = msg.frame as { width?: unknown; height?: unknown; crs?: unknown; footprint?: unknown } | undefined;
    if (!f || typeof f !== 'object') return;
    if (typeof f.width === 'number') latest.width = f.width;
    if (typeof f.height === 'number') latest.height = f.height;
    if (typeof f.crs === 'string') latest.crs = f.crs;
    // The runtime sends the footprint in WGS 84 as a GeoJSON polygon (a closed ring of [lon, lat]).
    const ring = (f.footprint as { type?: unknown; coordinates?: unknown } | undefined)?.coordinates;
    const outer = Array.isArray(ring) ? (ring[0] as unknown) : undefined;
    if (
      Array.isArray(outer) &&
      outer.length >= 4 &&
      outer.length <= 64 &&
      outer.every((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isFinite))
    ) {
      latest.footprint = (outer as LonLat[]).slice(0, outer.length - 1);
    }
  }

  private countDetections(x: DeviceExtra, value: unknown): void {
    const dets = (value as { detections?: unknown } | null)?.detections;
    if (!Array.isArray(dets)) return;
    for (const d of dets) {
      const label =
        typeof d?.label === 'string' ? d.label : typeof d?.classId === 'number' ? String(d.classId) : undefined;
      if (label === undefined) continue;
      x.classes[label] = (x.classes[label] ?? 0) + 1;
      this.classes[label] = (this.classes[label] ?? 0) + 1;
    }
  }

  private log(e: TimelineEntry): void {
    this.timeline.push(e);
    if (this.timeline.length > TIMELINE * 2) this.timeline.splice(0, this.timeline.length - TIMELINE);
  }

  private device(name: string): DeviceExtra {
    let x = this.extra.get(name);
    if (!x) {
      x = { frames: 0, failed: 0, dropped: 0, classes: {} };
      this.extra.set(name, x);
    }
    return x;
  }
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** One task's result in a few words, for the timeline. */
function describeTask(task: string, v: unknown): string {
  const r = (v ?? {}) as Record<string, unknown>;
  if (task === 'detection' && Array.isArray(r.detections)) return `${r.detections.length} detections`;
  if (task === 'tracking' && Array.isArray(r.tracks))
    return `${r.tracks.length} tracks${Array.isArray(r.born) && r.born.length ? ` (+${r.born.length})` : ''}`;
  if (task === 'classification' && Array.isArray(r.top) && r.top[0])
    return `class ${(r.top[0] as { label?: string }).label}`;
  if (task === 'change' && typeof r.changedFraction === 'number')
    return `${(100 * r.changedFraction).toFixed(1)}% changed`;
  if (task === 'depth') return 'depth';
  return task;
}

/**
 * A task result as the page gets it: typed arrays (CBOR rasters) dropped, except a depth raster,
 * which becomes a grid of at most {@link DEPTH_GRID} cells a side (nearest sample, NaN as null);
 * detections and track positions in map units get their lon/lat (`lonlat`) for the world map.
 */
function forPage(value: unknown, project: ((xy: readonly [number, number]) => LonLat) | undefined): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  if (project) withLonLat(value as Record<string, unknown>, project);
  const v = value as Record<string, unknown>;
  for (const [k, x] of Object.entries(v)) {
    if (!ArrayBuffer.isView(x)) out[k] = x;
    else if (
      k === 'depth' &&
      x instanceof Float32Array &&
      typeof v.width === 'number' &&
      typeof v.height === 'number' &&
      x.length === v.width * v.height
    ) {
      out.depthGrid = grid(x, v.width, v.height);
    }
  }
  return out;
}

/** Adds `lonlat` to detections (centre of `map.bbox`) and to track history points with `map`. */
function withLonLat(v: Record<string, unknown>, project: (xy: readonly [number, number]) => LonLat): void {
  const ok = (p: unknown): p is [number, number] => Array.isArray(p) && p.length === 2 && p.every(Number.isFinite);
  if (Array.isArray(v.detections)) {
    for (const d of v.detections as { map?: { bbox?: unknown }; lonlat?: LonLat }[]) {
      const b = d?.map?.bbox;
      if (Array.isArray(b) && b.length === 4 && b.every(Number.isFinite))
        d.lonlat = project([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]);
    }
  }
  if (Array.isArray(v.tracks)) {
    for (const t of v.tracks as { history?: { map?: unknown; lonlat?: LonLat }[] }[])
      for (const h of t?.history ?? []) if (ok(h?.map)) h.lonlat = project(h.map);
  }
}

function grid(
  data: Float32Array,
  width: number,
  height: number,
): { width: number; height: number; values: (number | null)[] } {
  const s = Math.max(width, height) / DEPTH_GRID;
  const w = Math.max(1, Math.round(width / Math.max(s, 1)));
  const h = Math.max(1, Math.round(height / Math.max(s, 1)));
  const values: (number | null)[] = [];
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      const x =
        data[
          Math.min(height - 1, Math.floor(((j + 0.5) * height) / h)) * width +
            Math.min(width - 1, Math.floor(((i + 0.5) * width) / w))
        ]!;
      values.push(Number.isFinite(x) ? Number(x.toFixed(3)) : null);
    }
  }
  return { width: w, height: h, values };
}
