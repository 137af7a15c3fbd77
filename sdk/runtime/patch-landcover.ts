/**
 * Land cover of a scene from a patch classifier: a classification model trained on small patches
 * (e.g. 3×3 Landsat MSS pixels, each upsampled to the model input) slid over a multispectral scene
 * in non-overlapping patches. Each patch becomes a raw frame and runs through the runtime, so it is
 * preprocessed exactly like a training patch (the package's declared preprocessing). The result is
 * a class map at patch resolution and the share and ground area of each class.
 */
import { EdgeError } from '../core/errors.js';
import { openPackage } from '../package/open-package.js';
import type { FrameOutcome } from '../pipeline/results.js';
import type { RunOptions } from './options.js';
import { withDeclaredSensor } from '../pipeline/package-preprocessing.js';
import { decodeFrame } from '../sensors/codecs/decode.js';
import { checkFrameFields, frameError, type Frame } from '../sensors/frame.js';
import { checkGeoReference, deriveGeoref, type GeoReference } from '../sensors/geometry/georef.js';
import { applySensorConfig } from '../sensors/bands/sensor-bands.js';
import { resolveSensorConfig } from '../sensors/bands/sensor-config.js';
import { expectInteger, invalidOption, is } from '../core/validate.js';
import { areaUnitOf, labelAreas } from '../tasks/areas.js';

/** Class map value of a patch that was not classified (it holds no-data pixels). */
export const PATCH_UNCLASSIFIED = 255;

/** What the function needs of a runtime (a {@link Runtime} fits). */
export interface PatchRunner {
  run(source: Iterable<Frame>, options?: RunOptions): AsyncIterable<FrameOutcome>;
  readonly model: { dir: string };
}

/** Options of {@link patchLandCover}. */
export interface PatchLandCoverOptions {
  /** Source pixels per patch side (default 3, the Statlog patch). */
  patch?: number;
  /** Part of the frame to classify, in source pixels (default: all of it). */
  region?: { x: number; y: number; width: number; height: number };
  /** Called as patches finish. */
  onProgress?: (done: number, total: number) => void;
}

/** One class of the scene. */
export interface PatchClassShare {
  classId: number;
  label: string;
  patches: number;
  /** Share of the classified patches, 0..1 (the shares sum to 1). */
  fraction: number;
  /** Source pixels the patches cover. */
  pixels: number;
  /** Ground area in m² when the frame is georeferenced, else source pixels (see `areaUnit`). */
  area: number;
}

/** Land cover of a scene at patch resolution. Plain JSON but for `classMap`. */
export interface PatchLandCover {
  frameId: string;
  /** Patches across and down. */
  width: number;
  height: number;
  /** Source pixels per patch side. */
  patch: number;
  /** The source pixels the patches cover (the region less its remainder columns/rows). */
  covered: { x: number; y: number; width: number; height: number };
  /** Class index per patch, row-major; {@link PATCH_UNCLASSIFIED} where a patch held no data. */
  classMap: Uint8Array;
  labels: string[];
  classes: PatchClassShare[];
  /** Patches not classified. */
  unclassified: number;
  areaUnit: 'm2' | 'pixel';
  crs?: string;
  /** Georeference of the class map (one map pixel per patch), when the frame has one. */
  georef?: GeoReference;
  /** Source bands fed to the model, in channel order. */
  bandNames: string[];
}

/**
 * Classifies every whole patch of a multispectral frame and summarises the classes.
 * @param runtime a runtime on a classification package with a multispectral entry
 * @throws EdgeError E_INVALID_ARGUMENT (options, a package without classification labels),
 *   E_FRAME_DECODE / E_FRAME_INVALID (the frame), E_INFERENCE (a patch failed)
 * @example
 * const rt = await createRuntime({ package: 'models/ringmoe-statlog-ms' });
 * const lc = await patchLandCover(rt, { id: 'olinda', modality: 'multispectral', pixels: 'L7_ETMs.tif', sensor: etmAsMss, timestamp: 0 });
 * lc.classes.map((c) => `${c.label} ${(100 * c.fraction).toFixed(1)} %`);
 */
export async function patchLandCover(
  runtime: PatchRunner,
  frame: Frame,
  options: PatchLandCoverOptions = {},
): Promise<PatchLandCover> {
  const patch = expectInteger('options.patch', options.patch ?? 3, 1, 256);
  const ref = checkFrameFields(frame);
  if (frame.modality !== 'multispectral')
    throw invalidOption(
      'frame.modality',
      'multispectral (patch land cover reads multispectral scenes)',
      frame.modality,
    );
  const manifest = (await openPackage(runtime.model.dir, { verify: 'none' })).manifest;
  const labels = manifest.labels?.classification;
  if (!labels || labels.length === 0 || labels.length >= PATCH_UNCLASSIFIED) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `package ${manifest.name} has no usable classification labels (labels.classification)`,
      { field: 'runtime' },
    );
  }
  const declared = withDeclaredSensor(manifest, frame);
  const config = resolveSensorConfig(declared.sensor, 'multispectral', ref);
  const decoded = await decodeFrame(declared);
  const bands = applySensorConfig(decoded, config, ref);
  const georef =
    frame.georef !== undefined
      ? checkGeoReference(frame.georef, (why) => frameError('E_FRAME_INVALID', ref, why, { field: 'frame.georef' }))
      : decoded.georef;
  const region = checkRegion(options.region, bands.width, bands.height);
  const w = Math.floor(region.width / patch);
  const h = Math.floor(region.height / patch);
  if (w === 0 || h === 0)
    throw invalidOption(
      'options.region',
      `a region of at least ${patch}×${patch} pixels`,
      options.region ?? { width: bands.width, height: bands.height },
    );
  const classMap = new Uint8Array(w * h).fill(PATCH_UNCLASSIFIED);
  const stride = bands.width;
  const n = bands.planes.length;
  // Patch frames carry the selected bands already: an identity sensor keeps the package's own from applying twice.
  const identity = {
    id: `${bands.sensorId}:patch`,
    modality: 'multispectral' as const,
    bands: Array.from({ length: n }, (_, i) => i + 1),
    bandNames: bands.bandNames,
  };
  const mask = bands.noDataMask;
  const jobs: number[] = [];
  for (let v = 0; v < h; v++) {
    for (let u = 0; u < w; u++) {
      let missing = false;
      for (let y = 0; y < patch && mask && !missing; y++)
        for (let x = 0; x < patch; x++)
          if (mask[(region.y + v * patch + y) * stride + region.x + u * patch + x]) missing = true;
      if (!missing) jobs.push(v * w + u);
    }
  }
  function* frames(): Generator<Frame> {
    for (const k of jobs) {
      const x0 = region.x + (k % w) * patch;
      const y0 = region.y + Math.floor(k / w) * patch;
      const data = new Float32Array(n * patch * patch);
      for (let c = 0, o = 0; c < n; c++)
        for (let y = 0; y < patch; y++)
          for (let x = 0; x < patch; x++) data[o++] = bands.planes[c]![(y0 + y) * stride + x0 + x]!;
      yield {
        id: String(k),
        modality: 'multispectral',
        timestamp: frame.timestamp,
        sensor: identity,
        pixels: { data, width: patch, height: patch, bands: n, dtype: 'float32', layout: 'chw' },
      };
    }
  }
  let done = 0;
  for await (const out of runtime.run(frames(), { policy: 'block' })) {
    if (!out.ok)
      throw new EdgeError(
        'E_INFERENCE',
        `frame ${JSON.stringify(ref.id)}: patch ${out.frameId} failed: ${out.error.message}`,
        { cause: out.error },
      );
    const top = out.tasks.classification?.top[0];
    if (!top)
      throw new EdgeError(
        'E_MODEL_OUTPUT',
        `frame ${JSON.stringify(ref.id)}: patch ${out.frameId} has no classification result (is classification turned off in the runtime's tasks?)`,
      );
    classMap[Number(out.frameId)] = top.classId;
    options.onProgress?.(++done, jobs.length);
  }
  const mapGeoref = georef ? deriveGeoref(georef, region.x, region.y, patch, patch) : undefined;
  const { counts, areas } = labelAreas(classMap, w, h, labels.length, mapGeoref);
  const classified = jobs.length;
  const unit = areaUnitOf(mapGeoref);
  const m2 = unit.areaUnit === 'm2';
  const classes = labels.map((label, classId) => ({
    classId,
    label,
    patches: counts[classId]!,
    fraction: classified > 0 ? counts[classId]! / classified : 0,
    pixels: counts[classId]! * patch * patch,
    area: m2 ? areas[classId]! : counts[classId]! * patch * patch,
  }));
  return {
    frameId: ref.id,
    width: w,
    height: h,
    patch,
    covered: { x: region.x, y: region.y, width: w * patch, height: h * patch },
    classMap,
    labels: [...labels],
    classes,
    unclassified: w * h - classified,
    ...unit,
    ...(mapGeoref ? { georef: mapGeoref } : {}),
    bandNames: bands.bandNames,
  };
}

/** The region option, checked against the frame (default: the whole frame). */
function checkRegion(
  region: unknown,
  width: number,
  height: number,
): { x: number; y: number; width: number; height: number } {
  if (region === undefined) return { x: 0, y: 0, width, height };
  if (!is.object(region))
    throw invalidOption('options.region', 'an object { x, y, width, height } in source pixels', region);
  const x = expectInteger('options.region.x', region.x, 0, width - 1);
  const y = expectInteger('options.region.y', region.y, 0, height - 1);
  return {
    x,
    y,
    width: expectInteger('options.region.width', region.width, 1, width - x),
    height: expectInteger('options.region.height', region.height, 1, height - y),
  };
}
