/**
 * The model that serves new frames, and the models frames in flight still run on. Every hold on a
 * model goes through a {@link ModelLease} taken here; a hot swap retires the previous model, which
 * is freed once its last lease is released.
 */
import type { LoadedModel } from './loaded-model.js';
import { ModelHolds } from './model-holds.js';
import { ModelLease } from './model-lease.js';

/**
 * The serving model and the leases on it and on models swapped out.
 * @example
 * const serving = new ServingModel(model);
 * const lease = serving.lease(); ... lease.release();
 * serving.switchTo(next, true); // `model` is freed once its last lease is released
 */
export class ServingModel {
  private current: LoadedModel;
  private readonly holds = new ModelHolds();

  constructor(model: LoadedModel) {
    this.current = model;
  }

  /** The model new frames run on. */
  get active(): LoadedModel {
    return this.current;
  }

  /** A hold on the serving model for one frame or call, released once its outcome exists. */
  lease(): ModelLease {
    return ModelLease.acquire(this.holds, this.current);
  }

  /**
   * Makes `model` serve from now on; leases already taken keep their model. With `retire`, the
   * previous model is freed now, or when its last lease is released.
   * @returns the previous model, or undefined when `model` already serves
   */
  switchTo(model: LoadedModel, retire: boolean): LoadedModel | undefined {
    const old = this.current;
    if (old === model) return undefined;
    this.holds.revive(model);
    this.current = model;
    if (retire) this.holds.retire(old);
    return old;
  }

  /** The serving model and every retired model still leased (to free them all at close). */
  get all(): LoadedModel[] {
    return [this.current, ...this.holds.retired];
  }
}
