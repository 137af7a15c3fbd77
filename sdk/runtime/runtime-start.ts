/**
 * What a runtime is made of, started in order: options checked, backend chosen, package loaded,
 * preprocessing workers and MQTT publisher started. A step that fails frees what the earlier ones
 * started.
 */
import { ResultPublisher } from '../mqtt/publisher.js';
import { LoadedModel, type LoadModelOptions } from '../pipeline/loaded-model.js';
import { createPreprocessPool, type PreprocessPool } from '../sensors/preprocess/pool.js';
import { chooseBackend } from './backend-choice.js';
import type { BackendSelection } from './backends/select.js';
import type { ResolvedRuntimeOptions, RuntimeOptions } from './options.js';
import { resolveRuntimeOptions } from './resolve-options.js';

/** The started pieces of a runtime. */
export interface RuntimeParts {
  o: ResolvedRuntimeOptions;
  selection: BackendSelection;
  model: LoadedModel;
  pool: PreprocessPool | undefined;
  publisher: ResultPublisher | undefined;
}

/**
 * Checks the options and starts every piece of a runtime.
 * @throws EdgeError E_INVALID_ARGUMENT (options), E_PACKAGE_* (package), E_BACKEND_UNAVAILABLE, E_BACKEND_INIT, E_OUTBOX
 */
export async function startRuntime(options: RuntimeOptions): Promise<RuntimeParts> {
  const o = resolveRuntimeOptions(options);
  const selection = await chooseBackend(o.backend, o.backends, { sessionThread: o.ortSessionThread });
  const model = await LoadedModel.load(o.package, selection.backend, loadOptions(o));
  let pool: PreprocessPool | undefined;
  let publisher: ResultPublisher | undefined;
  try {
    if (o.workers > 0) pool = await createPreprocessPool({ threads: o.workers });
    if (o.mqtt) {
      publisher = await ResultPublisher.create({
        clock: o.clock,
        ...o.mqtt,
        modelVersion: `${model.name}@${model.version}`,
      });
      publisher.on('error', () => undefined);
    }
  } catch (err) {
    await pool?.close();
    await model.dispose();
    throw err;
  }
  return { o, selection, model, pool, publisher };
}

/** How the runtime loads packages (at start and for a swap). */
export function loadOptions(o: ResolvedRuntimeOptions): LoadModelOptions {
  return {
    ...(o.entries ? { entries: o.entries } : {}),
    verify: o.verify,
    maxBatch: o.batchMax,
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    extra: o.backendOptions,
  };
}
