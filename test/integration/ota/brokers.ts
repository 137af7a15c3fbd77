/**
 * Brokers for OTA tests: aedes in this process, and mosquitto (when installed) as a child process
 * on a free loopback port. Both are stopped by `close()`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startOtaBroker } from '../../../tools/bundle/embedded-broker.js';
import { tempDir } from '../../helpers/packages.js';

/** A running broker. */
export interface TestBroker {
  name: string;
  url: string;
  close(): Promise<void>;
}

const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'].find(existsSync) ?? (spawnSync('which', ['mosquitto']).stdout?.toString().trim() || undefined);

/** True when a mosquitto binary is installed. */
export const HAS_MOSQUITTO = Boolean(MOSQUITTO);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** aedes in this process. */
export async function startAedes(): Promise<TestBroker> {
  const b = await startOtaBroker(0);
  return { name: 'aedes', url: b.url, close: () => b.close() };
}

/** mosquitto on a free loopback port; throws when it is not installed or does not come up. */
export async function startMosquitto(): Promise<TestBroker> {
  if (!MOSQUITTO) throw new Error('mosquitto is not installed');
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const conf = join(tempDir('mosquitto'), 'mosquitto.conf');
    await writeFile(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
    const child = spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' });
    const url = `mqtt://127.0.0.1:${port}`;
    const up = await waitUp(url, child);
    if (up) {
      return {
        name: 'mosquitto',
        url,
        close: () =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      };
    }
    child.kill('SIGKILL');
  }
  throw new Error('mosquitto did not start');
}

async function waitUp(url: string, child: ReturnType<typeof spawn>): Promise<boolean> {
  for (let i = 0; i < 50 && child.exitCode === null; i++) {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 500 });
    const ok = await new Promise<boolean>((r) => {
      c.once('connect', () => r(true));
      c.once('error', () => r(false));
      c.once('close', () => r(false));
    });
    await c.endAsync(true).catch(() => {});
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
