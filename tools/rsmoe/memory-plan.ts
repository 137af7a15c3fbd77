/**
 * Memory plan of an RS-MoE package on a device target: weights of the vision graph and of each
 * expert (the package's file sizes, so quantized experts count as quantized), plus each expert's
 * KV cache at its full context (visual prefix + every text position, per concurrent sequence),
 * summed for the expert subsets a device could keep — theme; theme + objects; all — and checked
 * against the target's model memory budget. Activations other than the cache are not counted.
 */
import { EdgeError } from '../../sdk/internal.js';
import type { PackageManifest } from '../../sdk/internal.js';
import { kvBytesPerToken } from '../../sdk/internal.js';
import { vlmSection } from '../../sdk/internal.js';

export interface RsMoeExpertMemory {
  id: string;
  weightBytes: number;
  kvBytesPerToken: number;
  /** Cached positions at full context: visual prefix + the decoder's positions. */
  contextTokens: number;
  kvBytes: number;
}

export interface RsMoeMemoryPlan {
  budgetBytes: number;
  sequences: number;
  visionBytes: number;
  experts: RsMoeExpertMemory[];
  /** Expert subsets in package order (first 1, first 2, … all) with their total and whether it fits. */
  subsets: { experts: string[]; bytes: number; fits: boolean }[];
  /** The largest subset that fits, or null when not even the first expert does. */
  recommended: string[] | null;
}

/**
 * @param budgetBytes memory the model may use on the target
 * @param sequences sequences each expert decodes at once (beam width × batch; default 1)
 * @throws EdgeError E_PACKAGE_MANIFEST (not RS-MoE), E_INVALID_ARGUMENT (sequences)
 */
export function planRsMoeMemory(m: PackageManifest, budgetBytes: number, sequences = 1): RsMoeMemoryPlan {
  if (!Number.isSafeInteger(sequences) || sequences < 1)
    throw new EdgeError('E_INVALID_ARGUMENT', `sequences must be a positive integer, got ${sequences}`, {
      field: 'sequences',
    });
  const vlm = vlmSection(m);
  // Bytes of the files of some entries, each file once (an expert's graphs may share a weight file).
  const fileBytes = (...entryNames: string[]) => {
    const files = new Set(
      m.entries.filter((x) => entryNames.includes(x.name)).flatMap((e) => [e.graph, ...e.weightFiles]),
    );
    return [...files].reduce((s, f) => s + (m.files[f]?.size ?? 0), 0);
  };
  const tokenizerBytes = (m.files[vlm.tokenizer.file]?.size ?? 0) + (m.files[vlm.tokenizer.config]?.size ?? 0);
  const visionBytes = fileBytes(vlm.vision.entry) + tokenizerBytes;
  const experts = vlm.experts.map((e): RsMoeExpertMemory => {
    const perToken = kvBytesPerToken(e.decoder);
    const contextTokens = vlm.vision.queries + e.decoder.maxPositions;
    return {
      id: e.id,
      weightBytes: fileBytes(e.prefixEntry, e.decoderEntry),
      kvBytesPerToken: perToken,
      contextTokens,
      kvBytes: perToken * contextTokens * sequences,
    };
  });
  const subsets = experts.map((_, i) => {
    const xs = experts.slice(0, i + 1);
    const bytes = visionBytes + xs.reduce((s, x) => s + x.weightBytes + x.kvBytes, 0);
    return { experts: xs.map((x) => x.id), bytes, fits: bytes <= budgetBytes };
  });
  const fitting = subsets.filter((s) => s.fits);
  return {
    budgetBytes,
    sequences,
    visionBytes,
    experts,
    subsets,
    recommended: fitting.length ? fitting[fitting.length - 1]!.experts : null,
  };
}
