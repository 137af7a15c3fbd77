/**
 * A hot swap's last step: a loaded model checked and made the serving one, counted, announced
 * (the `swap` event) and reported over MQTT (the model version and a state message).
 */
import { EdgeError } from '../core/errors.js';
import type { Backend } from '../core/backend.js';
import { invalidOption } from '../core/validate.js';
import type { TypedEmitter } from '../core/typed-emitter.js';
import type { ResultPublisher } from '../mqtt/publisher.js';
import { LoadedModel } from '../pipeline/loaded-model.js';
import type { MetricsCollector } from '../pipeline/metrics.js';
import type { ServingModel } from '../pipeline/serving-model.js';
import type { RuntimeEvents } from './runtime-events.js';
import type { RuntimeReporting } from './runtime-reporting.js';

/** What activating a model touches of the runtime. */
export interface SwapHost {
  readonly backend: Backend;
  readonly serving: ServingModel;
  readonly metrics: MetricsCollector;
  readonly events: TypedEmitter<RuntimeEvents>;
  readonly publisher: ResultPublisher | undefined;
  readonly reporting: RuntimeReporting;
}

/**
 * Makes `model` serve every frame that enters preprocessing from now on (see `Runtime.activate`).
 * @throws EdgeError E_INVALID_ARGUMENT (not a model of the host's backend), E_CLOSED (the model was
 *   disposed)
 */
export function activateModel(host: SwapHost, model: LoadedModel, retire: boolean): { from: string; to: string } {
  if (!(model instanceof LoadedModel)) throw invalidOption('model', 'a LoadedModel from runtime.loadModel()', model);
  if (model.disposed)
    throw new EdgeError(
      'E_CLOSED',
      `model ${model.name}@${model.version} was disposed; load it again with runtime.loadModel()`,
      { field: 'model' },
    );
  if (model.backend !== host.backend)
    throw invalidOption('model', `a model loaded by this runtime (backend ${host.backend.name})`, model.backend.name);
  const old = host.serving.active;
  const s = { from: `${old.name}@${old.version}`, to: `${model.name}@${model.version}` };
  if (!host.serving.switchTo(model, retire)) return s;
  host.metrics.swaps++;
  host.events.emit('swap', s);
  if (host.publisher) {
    host.publisher.setModelVersion(s.to);
    void host.publisher
      .publishState({ ...host.reporting.state('running'), swappedFrom: s.from })
      .catch(() => undefined);
  }
  return s;
}
