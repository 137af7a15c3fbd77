/**
 * RS-MoE model configurations: the dimensions of the vision encoder, the Q-Former, the expert
 * decoders and which experts exist. `rsmoe-tiny` is the seeded reference the tests run on.
 */
import { EdgeError } from '../../sdk/internal.js';
import { DEFAULT_ROUTER_TEMPLATES } from '../../sdk/internal.js';
import type { VlmExpertRole } from '../../sdk/internal.js';

export interface RsMoeConfig {
  name: string;
  /** Square RGB input side in pixels. */
  inputSize: number;
  /** Vision encoder: patch side, width, transformer layers, heads. */
  vision: { patch: number; dim: number; layers: number; heads: number; hidden: number };
  /** Q-Former: learned queries (the paper uses 32) and heads of its cross-attention. */
  qformer: { queries: number; heads: number; hidden: number };
  /** Every expert decoder: a GPT-style causal LM of these dimensions. */
  decoder: { dim: number; layers: number; heads: number; hidden: number; maxPositions: number };
  /** Longest instruction (tokens) the Q-Former's instruction input takes. */
  maxInstructionTokens: number;
  experts: { id: string; role: VlmExpertRole }[];
}

export const RSMOE_CONFIGS: Record<string, RsMoeConfig> = {
  'rsmoe-tiny': {
    name: 'rsmoe-tiny',
    inputSize: 32,
    vision: { patch: 8, dim: 32, layers: 1, heads: 2, hidden: 64 },
    qformer: { queries: 8, heads: 2, hidden: 64 },
    decoder: { dim: 32, layers: 2, heads: 2, hidden: 64, maxPositions: 128 },
    maxInstructionTokens: 32,
    experts: [
      { id: 'theme', role: 'theme' },
      { id: 'objects', role: 'objects' },
      { id: 'relations', role: 'relations' },
    ],
  },
};

/** True when `name` is an RS-MoE config name (so `reference` dispatches here). */
export function isRsMoeConfigName(name: string): boolean {
  return Object.hasOwn(RSMOE_CONFIGS, name);
}

/** @throws EdgeError E_UNKNOWN_CONFIG */
export function rsmoeConfig(name: string): RsMoeConfig {
  const c = RSMOE_CONFIGS[name];
  if (!c)
    throw new EdgeError(
      'E_UNKNOWN_CONFIG',
      `no RS-MoE config named ${JSON.stringify(name)}; known: ${Object.keys(RSMOE_CONFIGS).join(', ')}`,
      { field: 'config' },
    );
  for (const e of c.experts)
    if (!(e.role in DEFAULT_ROUTER_TEMPLATES))
      throw new EdgeError('E_CONFIG', `expert ${e.id} has role ${e.role} without a router template`, {
        field: 'experts',
      });
  return c;
}
