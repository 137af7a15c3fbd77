/**
 * The preprocessing a package declares (`manifest.model.preprocessing`) as the defaults of the
 * runtime: declared values first, then the options the caller passed on top (explicit options win);
 * a declared sensor configuration for frames that name none.
 */
import type { PackageManifest } from '../package/package-manifest.js';
import type { Frame } from '../sensors/frame.js';
import type { PreprocessOptions } from '../sensors/preprocess/preprocess-options.js';

/** Preprocessing options without the input size (which comes from the package). */
export type PackagePreprocessOptions = Omit<PreprocessOptions, 'inputSize'>;

/**
 * The options frames of `modality` are preprocessed with: the package's declared values
 * overridden by the caller's.
 * @example
 * // package declares { multispectral: { stretch: 'none', interpolation: 'nearest' } }
 * effectivePreprocess(manifest, 'multispectral', { interpolation: 'bilinear' }); // { stretch: 'none', interpolation: 'bilinear' }
 */
export function effectivePreprocess(
  manifest: PackageManifest,
  modality: unknown,
  caller: PackagePreprocessOptions,
): PackagePreprocessOptions {
  const declared = typeof modality === 'string' ? manifest.model.preprocessing?.[modality] : undefined;
  if (!declared) return caller;
  const { sensor: _sensor, ...options } = declared;
  void _sensor;
  return { ...options, ...caller };
}

/**
 * The frame with the package's declared sensor configuration when it names none (a frame's own
 * sensor wins); the frame itself otherwise.
 */
export function withDeclaredSensor(manifest: PackageManifest, frame: Frame): Frame {
  if (typeof frame !== 'object' || frame === null || frame.sensor !== undefined) return frame;
  const sensor =
    typeof frame.modality === 'string' ? manifest.model.preprocessing?.[frame.modality]?.sensor : undefined;
  return sensor ? { ...frame, sensor } : frame;
}
