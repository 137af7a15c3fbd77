/**
 * Which files are frames, by extension: the one list every command that reads frames uses.
 */
import { extname } from 'node:path';

/** Sensor images the sensors module decodes (TIFF includes GeoTIFF). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff'];
/** Images that are optical unless said otherwise (a TIFF may hold any modality). */
export const OPTICAL_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp'];
/** Preprocessed tensors saved by NumPy, [C, H, W]. */
export const TENSOR_EXTENSIONS: readonly string[] = ['.npy'];
/** Every file a frame may be read from where preprocessed tensors are accepted too. */
export const FRAME_EXTENSIONS: readonly string[] = [...IMAGE_EXTENSIONS, ...TENSOR_EXTENSIONS];

/** Whether `file` ends in one of `extensions` (case-insensitive). */
export function hasExtension(file: string, extensions: readonly string[]): boolean {
  return extensions.includes(extname(file).toLowerCase());
}
