/**
 * Sensor modalities RingMoE knows, in the fixed order of the released code, and the task ids the
 * model package uses. Shared by the toolchain (graph channels) and the runtime (preprocessing).
 */
import { EdgeError } from './errors.js';

/** Built-in modality ids. Packages may declare further sensors with their own channel counts. */
export const BUILTIN_MODALITIES = ['optical', 'sar-l1', 'sar-l2', 'multispectral'] as const;
export type BuiltinModalityId = (typeof BUILTIN_MODALITIES)[number];
/** A modality id: a built-in one or a package-declared sensor (lowercase, digits and dashes). */
export type ModalityId = BuiltinModalityId | (string & {});

/** What one modality feeds into the encoder. */
export interface ModalitySpec {
  id: ModalityId;
  /** Name used in the RingMoE paper. */
  paperName: string;
  /** Channels into the patch embedding. */
  channels: number;
  /** One line on what the channels are. */
  description: string;
}

export const MODALITY_SPECS: Record<BuiltinModalityId, ModalitySpec> = {
  optical: { id: 'optical', paperName: 'Opt', channels: 3, description: 'RGB, 8-bit, ImageNet mean/std' },
  'sar-l1': {
    id: 'sar-l1',
    paperName: 'SAR-L1',
    channels: 8,
    description: 'complex quad-pol SLC: real and imaginary parts of HH, HV, VH, VV',
  },
  'sar-l2': {
    id: 'sar-l2',
    paperName: 'SAR-L2',
    channels: 3,
    description: 'one detected amplitude band replicated to 3 channels',
  },
  multispectral: { id: 'multispectral', paperName: 'MS', channels: 4, description: 'four bands (B, G, R, NIR)' },
};

/** Tasks a package entry can serve. */
export const TASKS = [
  'classification',
  'segmentation',
  'detection',
  'change',
  'depth',
  'features',
  'custom',
  'caption',
  'vqa',
] as const;
export type TaskId = (typeof TASKS)[number];

const MODALITY_ID_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/** True when `id` is a syntactically valid modality id. */
export function isModalityIdSyntax(id: unknown): id is ModalityId {
  return typeof id === 'string' && MODALITY_ID_PATTERN.test(id);
}

/**
 * Resolves a modality id against the built-ins plus `extra` (sensors a config declares).
 * @throws EdgeError E_UNKNOWN_MODALITY naming the known ids
 */
export function resolveModality(
  id: unknown,
  extra: readonly ModalitySpec[] = [],
  where?: { file?: string; field?: string },
): ModalitySpec {
  const all: ModalitySpec[] = [...Object.values(MODALITY_SPECS), ...extra];
  const found = all.find((m) => m.id === id);
  if (!found) {
    throw new EdgeError(
      'E_UNKNOWN_MODALITY',
      `unknown modality ${JSON.stringify(id)}; known: ${all.map((m) => m.id).join(', ')}`,
      {
        ...(where?.file !== undefined ? { file: where.file } : {}),
        ...(where?.field !== undefined ? { field: where.field } : {}),
      },
    );
  }
  return found;
}

/** Parses a comma-separated modality list (CLI form) against `known`. */
export function parseModalityList(text: string, known: readonly ModalitySpec[], field = '--modalities'): ModalityId[] {
  const ids = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length === 0) throw new EdgeError('E_UNKNOWN_MODALITY', 'no modality given', { field });
  for (const id of ids) {
    if (!known.some((m) => m.id === id)) {
      throw new EdgeError(
        'E_UNKNOWN_MODALITY',
        `unknown modality ${JSON.stringify(id)}; known here: ${known.map((m) => m.id).join(', ')}`,
        { field },
      );
    }
  }
  return [...new Set(ids)];
}
