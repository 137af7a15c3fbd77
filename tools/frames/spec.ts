/**
 * The frame grammar every command that reads frames shares (calibrate `--frames`, prune
 * `--eval-frames`, quantize and compile `--calibration`/`--held-out`, run `--source`):
 *
 *   <spec>  := [<modality>=]<path>  |  generated[:<modality>][:<count>[:<seed>]]
 *   <path>  := a file, a directory (its frame files, not recursive) or a glob (`*`, `?`, `**`)
 *
 * `optical=flights/**\/*.jpg` names real frames and says their modality; `generated:sar-l1:16:7`
 * names 16 frames generated in code (seed 7) for one modality, `generated:16` as many for every
 * modality the package reads. Generated frames are never measurements, and every record of them
 * says `generated`.
 */
import { EdgeError } from '../../sdk/internal.js';
import { isModalityIdSyntax, type ModalityId } from '../../sdk/internal.js';

/** A parsed frame spec. */
export type FrameSpec =
  | { kind: 'path'; modality?: ModalityId; path: string; text: string }
  | { kind: 'generated'; modality?: ModalityId; count?: number; seed?: number; text: string };

/** Most frames one `generated` spec may ask for. */
export const MAX_GENERATED = 4096;

/** The grammar in one line, for messages. */
export const FRAME_SPEC_SYNTAX = '[<modality>=]<file|dir|glob> or generated[:<modality>][:<count>[:<seed>]]';

/**
 * Parses one frame spec.
 * @param field the option that named it, for errors (e.g. `frames`)
 * @throws EdgeError E_INVALID_ARGUMENT for a malformed `generated` spec or an empty path
 */
export function parseFrameSpec(text: string, field: string): FrameSpec {
  if (text === 'generated' || text.startsWith('generated:')) {
    const m = /^generated(?::([a-z][a-z0-9-]*))?(?::(\d+))?(?::(\d+))?$/.exec(text);
    if (!m)
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `cannot read frame spec ${JSON.stringify(text)}; write generated[:<modality>][:<count>[:<seed>]]`,
        { field },
      );
    const count = m[2] !== undefined ? Number(m[2]) : undefined;
    if (count !== undefined && (count < 1 || count > MAX_GENERATED))
      throw new EdgeError('E_INVALID_ARGUMENT', `generated frame count must be 1..${MAX_GENERATED} (got ${count})`, {
        field,
      });
    return {
      kind: 'generated',
      ...(m[1] !== undefined ? { modality: m[1] } : {}),
      ...(count !== undefined ? { count } : {}),
      ...(m[3] !== undefined ? { seed: Number(m[3]) } : {}),
      text,
    };
  }
  const eq = text.indexOf('=');
  const prefix = eq > 0 ? text.slice(0, eq) : undefined;
  const spec: FrameSpec =
    prefix !== undefined && isModalityIdSyntax(prefix)
      ? { kind: 'path', modality: prefix, path: text.slice(eq + 1), text }
      : { kind: 'path', path: text, text };
  if (spec.path.length === 0)
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `frame spec ${JSON.stringify(text)} names no file, directory or glob (${FRAME_SPEC_SYNTAX})`,
      { field },
    );
  return spec;
}
