/**
 * Two co-registered frames for one model call: change detection (`image_t0`, `image_t1`) or
 * optical + SAR fusion. Both are preprocessed with the same options and must come out with the same
 * source size and tiling, so tile k of one pairs with tile k of the other, and — for two frames of one
 * modality — the same bands by meaning, so two sensors can be compared when both map to them.
 */
import { EdgeError } from '../../core/errors.js';
import { sameBand } from '../bands/band-names.js';
import type { Frame } from '../frame.js';
import type { PreprocessedFrame } from '../geometry/layout.js';
import type { PreprocessOptions } from './preprocess-options.js';
import { preprocessFrame } from './preprocess.js';

/**
 * Throws unless two preprocessed frames line up pixel for pixel and tile for tile.
 * @throws EdgeError E_FRAME_INVALID naming both frames and the mismatch
 * @example
 * checkAlignedPair(t0, t1); // before feeding image_t0 / image_t1
 */
export function checkAlignedPair(a: PreprocessedFrame, b: PreprocessedFrame): void {
  const la = a.layout;
  const lb = b.layout;
  const names = `frames ${JSON.stringify(la.frameId)} and ${JSON.stringify(lb.frameId)}`;
  if (la.source.width !== lb.source.width || la.source.height !== lb.source.height) {
    throw new EdgeError(
      'E_FRAME_INVALID',
      `${names} are not co-registered: ${la.source.width}×${la.source.height} vs ${lb.source.width}×${lb.source.height} pixels`,
      { hint: 'resample one onto the other’s grid first' },
    );
  }
  // Change detection across sensors (Landsat-7 then Landsat-8) compares like with like only when both
  // frames feed the same bands to the same channels.
  if (
    la.modality === lb.modality &&
    (la.bandNames.length !== lb.bandNames.length || la.bandNames.some((n, i) => !sameBand(n, lb.bandNames[i]!)))
  ) {
    throw new EdgeError(
      'E_FRAME_INVALID',
      `${names} feed different bands to the model (${la.sensorId}: ${la.bandNames.join(', ')}; ${lb.sensorId}: ${lb.bandNames.join(', ')}); a change between them would be a change of band`,
      {
        hint: 'choose the same bands from both sensors (their presets map each to blue, green, red, NIR), e.g. --sensor per frame or the same --bands meaning',
      },
    );
  }
  const ga = la.georef?.transform;
  const gb = lb.georef?.transform;
  if (ga && gb) {
    // Origins may differ by a thousandth of a pixel, pixel vectors by one part in a million.
    const pixel = Math.max(Math.abs(ga[1]), Math.abs(ga[2]), Math.abs(ga[4]), Math.abs(ga[5]));
    const originShift = Math.max(Math.abs(ga[0] - gb[0]), Math.abs(ga[3] - gb[3]));
    const vectorDiff = Math.max(...[1, 2, 4, 5].map((k) => Math.abs(ga[k]! - gb[k]!)));
    if (originShift > pixel * 1e-3 || vectorDiff > pixel * 1e-6) {
      throw new EdgeError(
        'E_FRAME_INVALID',
        `${names} have different geotransforms (${ga.join(', ')} vs ${gb.join(', ')})`,
      );
    }
  }
  if (
    la.tiles.length !== lb.tiles.length ||
    la.tiles.some((t, i) => t.x !== lb.tiles[i]!.x || t.y !== lb.tiles[i]!.y)
  ) {
    throw new EdgeError('E_FRAME_INVALID', `${names} were tiled differently`);
  }
}

/**
 * Preprocesses two co-registered frames with the same options on the calling thread.
 * @throws EdgeError as `preprocessFrame`, and E_FRAME_INVALID when the frames do not line up
 * @example
 * const [t0, t1] = await preprocessPair(before, after, { inputSize: 64, fit: 'tile' });
 */
export async function preprocessPair(
  a: Frame,
  b: Frame,
  options: PreprocessOptions,
): Promise<[PreprocessedFrame, PreprocessedFrame]> {
  const ra = await preprocessFrame(a, options);
  const rb = await preprocessFrame(b, options);
  checkAlignedPair(ra, rb);
  return [ra, rb];
}
