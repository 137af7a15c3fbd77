/**
 * What a runtime tells its host: the events it emits, the MQTT news it forwards from its result
 * publisher, and what close() achieved.
 */
import { EventEmitter } from 'node:events';
import type { EdgeError } from '../core/errors.js';
import type { TypedEmitter } from '../core/typed-emitter.js';
import type { ResultPublisher } from '../mqtt/publisher.js';
import type { RuntimeMetrics } from '../pipeline/metrics.js';
import type { FrameFailure, InferenceResult } from '../pipeline/results.js';
import type { TrackingResult } from '../tracking/result-tracking.js';

/** Events of a {@link Runtime}. */
export interface RuntimeEvents {
  /** A frame's result (in source order for `run`). */
  result: (r: InferenceResult) => void;
  /** A frame that produced no result, with the reason (dropped frames too). */
  error: (f: FrameFailure) => void;
  /** A frame evicted by the drop-oldest policy of a live source. */
  drop: (f: FrameFailure) => void;
  /** Periodic metrics (every `metricsIntervalMs`). */
  metrics: (m: RuntimeMetrics) => void;
  /** The serving model changed. */
  swap: (s: { from: string; to: string }) => void;
  /** MQTT link and outbox news (with `mqtt` only): connected, offline, results dropped, errors. */
  mqtt: (e: MqttEvent) => void;
  /** Tracks born or died in a frame (with `tasks.tracking` only), before its `result` event. */
  track: (t: TrackingResult) => void;
}

/** What the `mqtt` event reports, forwarded from the runtime's publisher (docs/mqtt.md). */
export type MqttEvent =
  | { type: 'connected'; protocolVersion: 4 | 5; bdSeq: number }
  | { type: 'offline'; error?: EdgeError }
  | { type: 'dropped'; reason: 'full' | 'expired' | 'rejected'; count: number }
  | { type: 'error'; error: EdgeError }
  /** Results lost to a damaged outbox log, or a damaged bdSeq file (error code E_STATE_DAMAGED). */
  | { type: 'damaged'; store: 'outbox' | 'bdseq'; records: number; bytes: number; salvaged?: number; error: EdgeError };

/** What {@link Runtime.close} achieved. */
export interface CloseReport {
  /** Result messages still waiting for the broker when the deadline passed (kept in the durable outbox). */
  unsentResults: number;
  /** True when every result reached the broker before the deadline (always true without MQTT). */
  drained: boolean;
}

/**
 * Forwards the publisher's news as `mqtt` events of `runtime`. Damage found at start happens before
 * the caller can listen: it is held for the first `mqtt` listener.
 */
export function forwardPublisherEvents(publisher: ResultPublisher, runtime: TypedEmitter<RuntimeEvents>): void {
  publisher.removeAllListeners('error');
  publisher.on('connected', (c) =>
    runtime.emit('mqtt', { type: 'connected', protocolVersion: c.protocolVersion, bdSeq: c.bdSeq }),
  );
  publisher.on('offline', (info) =>
    runtime.emit('mqtt', { type: 'offline', ...(info.error ? { error: info.error } : {}) }),
  );
  publisher.on('dropped', (d) => runtime.emit('mqtt', { type: 'dropped', reason: d.reason, count: d.count }));
  publisher.on('error', (error) => runtime.emit('mqtt', { type: 'error', error }));
  let held: MqttEvent[] = [];
  EventEmitter.prototype.on.call(runtime, 'newListener', (event: string) => {
    if (event !== 'mqtt' || !held.length) return;
    setImmediate(() => {
      const events = held;
      held = [];
      for (const e of events) runtime.emit('mqtt', e);
    });
  });
  publisher.on('damaged', (d) => {
    const e: MqttEvent = {
      type: 'damaged',
      store: d.store,
      records: d.records,
      bytes: d.bytes,
      ...(d.salvaged !== undefined ? { salvaged: d.salvaged } : {}),
      error: d.error,
    };
    if (runtime.listenerCount('mqtt') > 0) runtime.emit('mqtt', e);
    else held.push(e);
  });
}
