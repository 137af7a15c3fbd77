/**
 * How a runtime's started parts are wired together: the serving model, the frame stages, outcome
 * delivery (tracking, MQTT publishing), reporting (metrics and state) and the pieces its hosts are
 * made of.
 */
import type { TypedEmitter } from '../core/typed-emitter.js';
import { FrameStages } from '../pipeline/frame-stages.js';
import type { MetricsCollector } from '../pipeline/metrics.js';
import { failure } from '../pipeline/results.js';
import { ServingModel } from '../pipeline/serving-model.js';
import { ResultTracking } from '../tracking/result-tracking.js';
import type { OpenWork } from './open-work.js';
import { OutcomeDelivery } from './outcome-delivery.js';
import { ResultPublishing } from './result-publishing.js';
import { forwardPublisherEvents, type RuntimeEvents } from './runtime-events.js';
import type { RuntimePieces } from './runtime-hosts.js';
import { RuntimeReporting } from './runtime-reporting.js';
import type { RuntimeParts } from './runtime-start.js';

/** The wired pieces of a runtime, beside the started {@link RuntimeParts}. */
export interface RuntimeWiring {
  /** What the hosts of its calls and streams are made of. */
  pieces: RuntimePieces;
  /** Its metrics and state. */
  reporting: RuntimeReporting;
}

/**
 * Wires the started parts to the runtime's events, metrics and open work: the publisher's news
 * becomes `mqtt` events, a result that cannot be published an `error` event, and the periodic
 * metrics start.
 */
export function wireRuntime(
  parts: RuntimeParts,
  events: TypedEmitter<RuntimeEvents>,
  metrics: MetricsCollector,
  work: OpenWork,
): RuntimeWiring {
  const { o, selection, publisher } = parts;
  const serving = new ServingModel(parts.model);
  const stages = new FrameStages(o, parts.pool, metrics, selection.backend.name);
  if (publisher) forwardPublisherEvents(publisher, events);
  const publishing = publisher
    ? new ResultPublishing(publisher, o.mqtt?.encoding ?? 'json', (r, err) =>
        events.emit('error', failure(r.frameId, 'postprocess', err)),
      )
    : undefined;
  const delivery = new OutcomeDelivery(
    events,
    o.tasks.tracking ? new ResultTracking(o.tasks.tracking) : undefined,
    publishing,
  );
  const reporting = new RuntimeReporting(
    { events, metrics, selection, publisher, publishing, serving: () => serving.active },
    o.metricsIntervalMs,
    o.clock,
  );
  const pieces: RuntimePieces = { o, metrics, stages, serving, delivery, work, clock: o.clock };
  return { pieces, reporting };
}
