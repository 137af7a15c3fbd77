/**
 * Prepared frames as the quantizer and compiler read them: preprocessed model inputs grouped by the
 * source that named them, each remembering whether it is real or generated.
 */
import type { ModalityId } from '../../sdk/internal.js';

/**
 * One preprocessed model input, [channels, height, width]; or, for an input of an imported model
 * fed raw tensors (`.npy`/`.npz`, generated), one sample of any shape (`shape`, without the batch
 * axis) and dtype.
 */
export interface PreparedFrame {
  /** Stable id: `<source>#<tile>` (used to keep held-out frames apart from calibration frames). */
  id: string;
  modality: ModalityId;
  origin: 'real' | 'generated';
  channels: number;
  height: number;
  width: number;
  data: Float32Array | BigInt64Array;
  /** Sample shape of a raw tensor (without the batch axis); absent for image frames. */
  shape?: number[];
  /** Element type of a raw tensor; float32 when absent. */
  dtype?: 'float32' | 'int64';
}

/**
 * The frames of one modality from one source (a file, a directory, or a generator); or the raw
 * tensors of one named model input (`input`), for inputs that read no sensor modality.
 */
export interface FrameSet {
  /** The modality, or `tensor` for a raw tensor set (then `input` names the model input). */
  modality: ModalityId;
  /** The model input a raw tensor set feeds. */
  input?: string;
  /** What the user named (`optical=frames/`, `generated:sar-l1:16:7`). */
  source: string;
  origin: 'real' | 'generated';
  frames: PreparedFrame[];
}
