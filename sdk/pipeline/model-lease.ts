/**
 * One frame's (or one call's) hold on the model it runs on. Taken when the frame enters
 * preprocessing and given back once its outcome exists, exactly once whichever stage ends it, so
 * a model swapped out meanwhile is freed only when no frame still runs on it.
 */
import type { LoadedModel } from './loaded-model.js';
import type { ModelHolds } from './model-holds.js';

/**
 * A hold on `model`, counted in `holds` until {@link ModelLease.release}. Releasing twice is a
 * no-op: every stage that may end a frame releases its lease without knowing whether an earlier
 * one already did.
 * @example
 * const lease = ModelLease.acquire(holds, runtimeModel);
 * try { await lease.model.run(entry, feeds); } finally { lease.release(); }
 */
export class ModelLease {
  private held = true;

  private constructor(
    readonly model: LoadedModel,
    private readonly holds: ModelHolds,
  ) {}

  /** Holds `model` in `holds` until the lease is released. */
  static acquire(holds: ModelHolds, model: LoadedModel): ModelLease {
    holds.hold(model);
    return new ModelLease(model, holds);
  }

  /** True until {@link ModelLease.release}. */
  get active(): boolean {
    return this.held;
  }

  /** Gives the hold back (a retired model with no frame left is disposed). Idempotent. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.holds.release(this.model);
  }
}
