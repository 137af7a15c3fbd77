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
import { checkFrameFields, frameError, type Frame, type FrameRef } from '../sensors/frame.js';
import { checkGeoReference, deriveGeoref, type GeoReference } from '../sensors/geometry/georef.js';
import { applySensorConfig, type SensorBands } from '../sensors/bands/sensor-bands.js';
import { resolveSensorConfig } from '../sensors/bands/sensor-config.js';
import { expectInteger, invalidOption } from '../core/validate.js';
import { areaUnitOf, labelAreas } from '../tasks/areas.js';
import type { PackageManifest } from '../package/package-manifest.js';
import { patchesWithData, patchFrames, patchGrid, type PatchGrid } from './patch-grid.js';

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
  const { bands, georef } = await readScene(manifest, frame, ref);
  const grid = patchGrid(options.region, patch, bands.width, bands.height);
  const classMap = new Uint8Array(grid.width * grid.height).fill(PATCH_UNCLASSIFIED);
  const jobs = patchesWithData(bands, grid);
  await classifyPatches(runtime, patchFrames(bands, grid, jobs, frame.timestamp), ref, classMap, jobs.length, options);
  const mapGeoref = georef ? deriveGeoref(georef, grid.region.x, grid.region.y, patch, patch) : undefined;
  return {
    frameId: ref.id,
    width: grid.width,
    height: grid.height,
    patch,
    covered: { x: grid.region.x, y: grid.region.y, width: grid.width * patch, height: grid.height * patch },
    classMap,
    labels: [...labels],
    ...classShares(classMap, grid, labels, jobs.length, mapGeoref),
    ...(mapGeoref ? { georef: mapGeoref } : {}),
    bandNames: bands.bandNames,
  };
}

/**
 * The frame's bands as the package's declared sensor selects them, and its georeference (the
 * frame's own over the decoded file's).
 * @throws EdgeError E_FRAME_DECODE / E_FRAME_INVALID
 */
async function readScene(
  manifest: PackageManifest,
  frame: Frame,
  ref: FrameRef,
): Promise<{ bands: SensorBands; georef: GeoReference | undefined }> {
  const declared = withDeclaredSensor(manifest, frame);
  const config = resolveSensorConfig(declared.sensor, 'multispectral', ref);
  const decoded = await decodeFrame(declared);
  const bands = applySensorConfig(decoded, config, ref);
  const georef =
    frame.georef !== undefined
      ? checkGeoReference(frame.georef, (why) => frameError('E_FRAME_INVALID', ref, why, { field: 'frame.georef' }))
      : decoded.georef;
  return { bands, georef };
}

/**
 * Runs the patch frames and writes each patch's top class into `classMap`.
 * @throws EdgeError E_INFERENCE (a patch failed), E_MODEL_OUTPUT (a patch without a classification)
 */
async function classifyPatches(
  runtime: PatchRunner,
  frames: Iterable<Frame>,
  ref: FrameRef,
  classMap: Uint8Array,
  total: number,
  options: Pick<PatchLandCoverOptions, 'onProgress'>,
): Promise<void> {
  let done = 0;
  for await (const out of runtime.run(frames, { policy: 'block' })) {
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
    options.onProgress?.(++done, total);
  }
}

/** The share, pixels and area of each class over the `classified` patches, and the area unit. */
function classShares(
  classMap: Uint8Array,
  grid: PatchGrid,
  labels: readonly string[],
  classified: number,
  mapGeoref: GeoReference | undefined,
): Pick<PatchLandCover, 'classes' | 'unclassified' | 'areaUnit' | 'crs'> {
  const { patch } = grid;
  const { counts, areas } = labelAreas(classMap, grid.width, grid.height, labels.length, mapGeoref);
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
  return { classes, unclassified: grid.width * grid.height - classified, ...unit };
}
