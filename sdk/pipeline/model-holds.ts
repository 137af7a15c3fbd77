/**
 * Which loaded models frames in flight still use. A frame holds the model it was preprocessed for
 * until its outcome exists; a model swapped out is disposed once the last frame holding it is done,
 * so a hot swap never pulls a model from under a running frame.
 */
import type { LoadedModel } from './loaded-model.js';

/**
 * Reference counts of models by frames in flight, and the models waiting to be freed.
 * @example
 * holds.hold(model); ... holds.release(model); // disposes model if it was retired meanwhile
 */
export class ModelHolds {
  private readonly counts = new Map<LoadedModel, number>();
  private readonly retiring = new Set<LoadedModel>();

  /** Frames currently holding any model. */
  get inFlight(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  /** Models retired but still held by frames. */
  get retired(): LoadedModel[] {
    return [...this.retiring];
  }

  /** One more frame uses `model`. */
  hold(model: LoadedModel): void {
    this.counts.set(model, (this.counts.get(model) ?? 0) + 1);
  }

  /** A frame is done with `model`; a retired model with no frame left is disposed. */
  release(model: LoadedModel): void {
    const n = (this.counts.get(model) ?? 1) - 1;
    if (n > 0) {
      this.counts.set(model, n);
      return;
    }
    this.counts.delete(model);
    if (this.retiring.delete(model)) void model.dispose();
  }

  /** Frees `model` now, or when its last frame is done. */
  retire(model: LoadedModel): void {
    if (this.counts.has(model)) this.retiring.add(model);
    else void model.dispose();
  }

  /** `model` serves again (a swap back before its frames finished): it must not be freed. */
  revive(model: LoadedModel): void {
    this.retiring.delete(model);
  }
}
