/**
 * Where a frame's outcome goes, in order: tracking (`track` events), the MQTT outbox, then the
 * `result` event; a failure goes to `drop` (dropped frames) and `error`.
 */
import type { TypedEmitter } from '../core/typed-emitter.js';
import type { FrameOutcome } from '../pipeline/results.js';
import type { ResultTracking } from '../tracking/result-tracking.js';
import type { ResultPublishing } from './result-publishing.js';
import type { RuntimeEvents } from './runtime-events.js';

/**
 * Delivers outcomes to a runtime's events and (optionally) its result publishing.
 * @example
 * const { stored } = await delivery.deliver(outcome); await stored; // in the outbox now
 */
export class OutcomeDelivery {
  constructor(
    private readonly events: TypedEmitter<RuntimeEvents>,
    private readonly tracking: ResultTracking | undefined,
    readonly publishing: ResultPublishing | undefined,
  ) {}

  /**
   * Events and MQTT for one outcome, in order. Resolves once the outcome's messages are queued for
   * the outbox, with `stored`, which settles when they are in it. A listener's exception propagates.
   */
  async deliver(outcome: FrameOutcome): Promise<{ stored: Promise<void> }> {
    if (outcome.ok) {
      const tracks = this.tracking?.apply(outcome);
      if (tracks && (tracks.born.length || tracks.died.length)) this.events.emit('track', tracks);
      const queued = (await this.publishing?.publish(outcome)) ?? { stored: Promise.resolve() };
      this.events.emit('result', outcome);
      return queued;
    } else {
      if (outcome.stage === 'dropped') this.events.emit('drop', outcome);
      this.events.emit('error', outcome);
      return { stored: Promise.resolve() };
    }
  }
}
