/**
 * The publisher options of a device command (`run`, and `run` of an RS-MoE package) from its flags:
 * `--broker`, `--fleet`, `--device`, `--state-dir`, the broker credentials and TLS material
 * (broker-flags.ts) and `--device-key`, the device's own key that signs its results, births, deaths
 * and states. Undefined when the command publishes nowhere (no `--broker`).
 */
import { EdgeError } from '../../sdk/internal.js';
import type { ResultPublisherOptions } from '../../sdk/index.js';
import { loadPrivateKey } from '../bundle/keys.js';
import { readBrokerFlags } from './broker-flags.js';

/**
 * Reads the flags.
 * @throws EdgeError naming the flag: E_INVALID_ARGUMENT (--device-key or --broker-* without --broker), what
 *   {@link readBrokerFlags} throws, E_FILE_NOT_FOUND / E_SIGNATURE (--device-key is not an Ed25519 key)
 */
export async function mqttOptions(
  o: Record<string, unknown>,
  device: string,
): Promise<(ResultPublisherOptions & { url: string; fleet: string; device: string }) | undefined> {
  if (o.broker === undefined) {
    if (o.deviceKey !== undefined)
      throw new EdgeError('E_INVALID_ARGUMENT', '--device-key signs what the device publishes; it needs --broker', {
        field: '--device-key',
      });
    if (await readBrokerFlags(o, undefined))
      throw new EdgeError('E_INVALID_ARGUMENT', 'broker credentials and TLS material need --broker', {
        field: '--broker',
        hint: 'e.g. --broker mqtts://broker:8883 --fleet north',
      });
    return undefined;
  }
  const url = String(o.broker);
  const auth = await readBrokerFlags(o, url);
  const deviceKey =
    o.deviceKey === undefined
      ? undefined
      : await loadPrivateKey(String(o.deviceKey)).catch((err: EdgeError) => {
          throw new EdgeError(err.code, err.message, { field: '--device-key', cause: err });
        });
  return {
    url,
    fleet: String(o.fleet),
    device,
    ...(o.stateDir ? { stateDir: String(o.stateDir) } : {}),
    ...(auth ?? {}),
    ...(deviceKey ? { deviceKey } : {}),
  };
}
