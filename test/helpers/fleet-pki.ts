/**
 * A fleet's PKI and a secured Mosquitto for tests: a fleet CA and a rogue CA (made with openssl in a
 * temp dir), a server certificate for 127.0.0.1, client certificates (CN = the client's broker user
 * name: a device id, or an operator such as `ops`) of either CA, a password file, and Mosquitto
 * started on loopback with the configuration `mosquittoConfig` writes (TLS only; client certificates
 * on the device listener, passwords on the operator listener; the fleet ACL). `HAS_FLEET_PKI` is
 * false when mosquitto, mosquitto_passwd or openssl is missing, so tests can skip visibly.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mosquittoConfig } from '../../tools/broker/mosquitto-config.js';
import { freePort, HAS_MOSQUITTO, startMosquitto, type Mosquitto } from './mosquitto.js';

const exec = promisify(execFile);
const OPENSSL = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => existsSync(p));
const PASSWD = ['/usr/bin/mosquitto_passwd', '/usr/local/bin/mosquitto_passwd'].find((p) => existsSync(p));

/** True when openssl is installed ({@link makePki} works). */
export const HAS_OPENSSL = OPENSSL !== undefined;
/** True when mosquitto, mosquitto_passwd and openssl are installed. */
export const HAS_FLEET_PKI = HAS_MOSQUITTO && OPENSSL !== undefined && PASSWD !== undefined;

/** PEM files of one client certificate. */
export interface ClientFiles {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

/** The PKI in a temp dir. */
export interface Pki {
  dir: string;
  /** The fleet CA certificate (PEM) and its file. */
  ca: Buffer;
  caFile: string;
  /** A client certificate made by {@link makePki} (`<name>` of the fleet CA, `<name>-rogue` of the rogue CA). */
  cert(name: string): ClientFiles;
}

/**
 * A fleet CA, a rogue CA, a server certificate for 127.0.0.1 and, for every name in `clients`, a
 * certificate of the fleet CA (`name`) and one of the rogue CA (`name-rogue`).
 */
export async function makePki(dir: string, clients: string[]): Promise<Pki> {
  const ssl = (...args: string[]) => exec(OPENSSL!, args, { cwd: dir });
  const ca = (name: string) =>
    ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
    );
  const issue = async (file: string, cn: string, by: string, ext?: string) => {
    await ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      `${file}.key`,
      '-out',
      `${file}.csr`,
    );
    const extArgs: string[] = [];
    if (ext) {
      await writeFile(join(dir, `${file}.ext`), ext);
      extArgs.push('-extfile', `${file}.ext`);
    }
    await ssl(
      'x509',
      '-req',
      '-in',
      `${file}.csr`,
      '-CA',
      `${by}.crt`,
      '-CAkey',
      `${by}.key`,
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      `${file}.crt`,
      ...extArgs,
    );
  };
  await ca('fleet-ca');
  await ca('rogue-ca');
  await issue('server', 'server', 'fleet-ca', 'subjectAltName=IP:127.0.0.1\n');
  const files = new Map<string, ClientFiles>();
  for (const name of clients) {
    for (const [file, by] of [
      [name, 'fleet-ca'],
      [`${name}-rogue`, 'rogue-ca'],
    ] as const) {
      await issue(file, name, by);
      const certFile = join(dir, `${file}.crt`);
      const keyFile = join(dir, `${file}.key`);
      files.set(file, { certFile, keyFile, cert: await readFile(certFile), key: await readFile(keyFile) });
    }
  }
  const caFile = join(dir, 'fleet-ca.crt');
  return {
    dir,
    ca: await readFile(caFile),
    caFile,
    cert(name) {
      const f = files.get(name);
      if (!f) throw new Error(`no certificate ${name} was made`);
      return f;
    },
  };
}

/** A secured broker for fleet `north`, its PKI and its two listeners. */
export interface SecuredBroker {
  pki: Pki;
  /** Device listener: client certificates of the fleet CA, CN = user name. */
  deviceUrl: string;
  /** Operator listener: user name and password over TLS. */
  operatorUrl: string;
  /** The operator `ops` and its password (also in `passwordFile`). */
  operator: { username: string; password: string; passwordFile: string };
  broker: Mosquitto;
  close(): Promise<void>;
}

/**
 * Makes a PKI (with certificates for `clients`) and starts Mosquitto with the fleet configuration
 * for fleet `north` and the operator `ops`.
 */
export async function startSecuredBroker(clients: string[]): Promise<SecuredBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'ringmoe-secured-broker-'));
  try {
    const pki = await makePki(dir, clients);
    const passwordFile = join(dir, 'ops.password');
    await writeFile(passwordFile, 'ops-secret\n');
    await exec(PASSWD!, ['-c', '-b', join(dir, 'passwd'), 'ops', 'ops-secret']);
    const operatorPort = await freePort();
    const config = (devicePort: number) =>
      mosquittoConfig({
        fleets: ['north'],
        operators: ['ops'],
        host: '127.0.0.1',
        devicePort,
        operatorPort,
        files: {
          ca: pki.caFile,
          cert: join(dir, 'server.crt'),
          key: join(dir, 'server.key'),
          passwords: join(dir, 'passwd'),
          acl: join(dir, 'acl'),
        },
      });
    await writeFile(join(dir, 'acl'), config(0).acl); // the ACL does not depend on the ports
    const broker = await startMosquitto({ persistence: false, listeners: (port) => config(port).conf.split('\n') });
    return {
      pki,
      deviceUrl: `mqtts://127.0.0.1:${broker.port}`,
      operatorUrl: `mqtts://127.0.0.1:${operatorPort}`,
      operator: { username: 'ops', password: 'ops-secret', passwordFile },
      broker,
      async close() {
        await broker.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
