/**
 * A temporary copy of a graph that onnxruntime can load: tools need graphs with extra outputs
 * (activations to calibrate, router choices to compare) without touching the package they read.
 *
 * onnxruntime resolves external data relative to the model file and refuses any location that
 * resolves outside the model's directory, symbolic links included. So the scratch copy lives in
 * its own temporary directory with the weight files it needs hard-linked in beside it (no bytes
 * copied, the source stays read-only); where a hard link is impossible (another filesystem, a
 * filesystem without links) the file is copied, as a copy-on-write clone where the filesystem
 * offers one.
 */
import { constants } from 'node:fs';
import { copyFile, link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import { isSafeRelativePath } from '../../sdk/internal.js';
import { ModelProtoSchema, toBinary, type ModelProto } from '../onnx/proto.js';

export interface ScratchModel {
  /** The model file to load. */
  readonly path: string;
  /** How the weight files got there. */
  readonly linked: number;
  readonly copied: number;
  /** Removes the directory. Idempotent. */
  dispose(): Promise<void>;
}

/**
 * Writes `model` into a fresh temporary directory beside hard links (or copies) of `weightFiles`
 * (paths relative to `sourceDir`, as the model's external data names them).
 * @throws EdgeError E_PATH_UNSAFE for a weight path escaping `sourceDir`; E_IO when the directory
 *   cannot be prepared
 */
export async function writeScratchModel(
  model: ModelProto,
  sourceDir: string,
  weightFiles: readonly string[],
): Promise<ScratchModel> {
  for (const rel of weightFiles) {
    if (!isSafeRelativePath(rel))
      throw new EdgeError(
        'E_PATH_UNSAFE',
        `weight file ${JSON.stringify(rel)} is not a relative path inside the package`,
        { file: sourceDir },
      );
  }
  const dir = await mkdtemp(join(tmpdir(), 'ringmoe-edge-scratch-'));
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await rm(dir, { recursive: true, force: true });
  };
  let linked = 0;
  let copied = 0;
  try {
    for (const rel of weightFiles) {
      const dst = join(dir, rel);
      await mkdir(dirname(dst), { recursive: true });
      try {
        await link(join(sourceDir, rel), dst);
        linked++;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw err;
        await copyFile(join(sourceDir, rel), dst, constants.COPYFILE_FICLONE);
        copied++;
      }
    }
    const path = join(dir, 'model.onnx');
    await writeFile(path, toBinary(ModelProtoSchema, model));
    return { path, linked, copied, dispose };
  } catch (err) {
    await dispose();
    throw new EdgeError('E_IO', `preparing a temporary copy of the graph failed: ${messageOf(err)}`, {
      file: sourceDir,
      cause: err,
    });
  }
}
