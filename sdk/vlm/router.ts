/**
 * The Instruction Router of RS-MoE: turns the user's instruction (a caption request or a question)
 * into one prompt per expert, each asking for that expert's sub-task of the answer — theme
 * comprehension, object recognition, relationship inference.
 *
 * The paper's router is learned; this one is the documented, deterministic template router: each
 * expert's package record carries a `caption` and a `vqa` template in which `{instruction}` and
 * `{question}` are replaced by the user's text (lower-cased, whitespace collapsed). The image
 * reaches every expert through its visual prefix (the Q-Former's tokens), not through the prompt.
 * The prompts each expert received are published with the result so an operator can see why an
 * answer came out as it did.
 */
import { EdgeError } from '../core/errors.js';
import type { VlmExpertRecord, VlmExpertRole, VlmPromptTemplates } from '../package/vlm-manifest.js';

export type VlmTask = 'caption' | 'vqa';

/** The instruction a caption request carries when the caller gives none. */
export const DEFAULT_CAPTION_INSTRUCTION = 'describe this scene .';

/** Templates written into packages by `reference` (every word is in the reference vocabulary). */
export const DEFAULT_ROUTER_TEMPLATES: Record<VlmExpertRole, VlmPromptTemplates> = {
  theme: {
    caption:
      'instruction : {instruction} expert : theme . describe the overall theme of the scene and what kind of place it is . answer :',
    vqa: 'question : {question} expert : theme . answer the question from the overall theme of the scene . answer :',
  },
  objects: {
    caption:
      'instruction : {instruction} expert : objects . list the main objects in the scene and how many there are . answer :',
    vqa: 'question : {question} expert : objects . answer the question by finding and counting the objects in the scene . answer :',
  },
  relations: {
    caption:
      'instruction : {instruction} expert : relations . describe where the objects are relative to each other . answer :',
    vqa: 'question : {question} expert : relations . answer the question from how the objects are placed relative to each other . answer :',
  },
};

/** Longest instruction or question accepted, in characters. */
export const MAX_INSTRUCTION_CHARS = 1000;

/** One expert's routed prompt. */
export interface RoutedPrompt {
  expert: string;
  role: VlmExpertRole;
  prompt: string;
}

/**
 * Normalises user text: trimmed, lower-cased, whitespace collapsed.
 * @throws EdgeError E_INVALID_ARGUMENT (field `field`) for empty, non-string or over-long text
 */
export function normaliseInstruction(text: unknown, field: string): string {
  if (typeof text !== 'string') throw new EdgeError('E_INVALID_ARGUMENT', `${field} must be a string`, { field });
  const t = text.trim().replace(/\s+/g, ' ').toLowerCase();
  if (t.length === 0)
    throw new EdgeError('E_INVALID_ARGUMENT', `${field} is empty`, {
      field,
      hint: 'e.g. "how many ships are in the harbour?"',
    });
  if (t.length > MAX_INSTRUCTION_CHARS)
    throw new EdgeError('E_INVALID_ARGUMENT', `${field} has ${t.length} characters; at most ${MAX_INSTRUCTION_CHARS}`, {
      field,
    });
  return t;
}

/**
 * One prompt per expert for `task`.
 * @param text the caption instruction or the question (already normalised)
 * @example
 * route(experts, 'vqa', 'how many ships are in the harbour?')
 * // [{ expert: 'theme', role: 'theme', prompt: 'question : how many ships are in the harbour? expert : theme . ...' }, ...]
 */
export function route(experts: readonly VlmExpertRecord[], task: VlmTask, text: string): RoutedPrompt[] {
  return experts.map((e) => ({
    expert: e.id,
    role: e.role,
    prompt: (task === 'caption' ? e.prompts.caption : e.prompts.vqa)
      .split('{instruction}')
      .join(text)
      .split('{question}')
      .join(text),
  }));
}
