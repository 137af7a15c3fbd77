/**
 * Brokers for OTA tests, from the shared test helpers: aedes in this process, and mosquitto
 * (when installed) as a child process on a free loopback port.
 */
import { startAedes as startAedesHelper } from '../../helpers/aedes.js';
import { HAS_MOSQUITTO, startMosquitto as startMosquittoHelper } from '../../helpers/mosquitto.js';

export { HAS_MOSQUITTO };

/** A running broker. */
export interface TestBroker {
  name: string;
  url: string;
  close(): Promise<void>;
}

/** aedes in this process. */
export async function startAedes(): Promise<TestBroker> {
  const b = await startAedesHelper();
  return { name: 'aedes', url: b.url, close: () => b.close() };
}

/** mosquitto on a free loopback port. */
export async function startMosquitto(): Promise<TestBroker> {
  const b = await startMosquittoHelper();
  return { name: 'mosquitto', url: b.url, close: () => b.close() };
}
