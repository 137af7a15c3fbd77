/**
 * The broker flags every command that connects to an MQTT broker takes (`publish`, `fleet status`,
 * `subscribe`, `station`, `run`): the fleet CA that signed the broker's certificate
 * (`--broker-ca`), a client certificate and its key (`--broker-cert`, `--broker-key`), a user name
 * and a file holding the password (`--broker-user`, `--broker-password-file`; the password never
 * goes on the command line, where `ps` shows it), and `--broker-insecure`, which stops checking the
 * broker's certificate and is never on by default. Resolved once at the edge into a
 * {@link BrokerAuth}: files are read without following links and within a size limit, and each
 * problem is an error naming the flag and the file.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { Command } from 'commander';
import { EdgeError, isEdgeError, messageOf, readRegular } from '../../sdk/internal.js';
import type { BrokerAuth, TlsOptions } from '../../sdk/internal.js';

/** Largest CA bundle or certificate file read (a CA bundle of a few hundred certificates fits). */
const MAX_CERT_BYTES = 1 << 20;
/** Largest key file read. */
const MAX_KEY_BYTES = 64 * 1024;
/** Largest password file read. */
const MAX_PASSWORD_BYTES = 4096;
/** URL schemes that speak TLS. */
const TLS_SCHEMES = ['mqtts:', 'ssl:', 'tls:', 'wss:'];

/** Adds the broker flags to a command. */
export function addBrokerOptions(cmd: Command): Command {
  return cmd
    .option('--broker-ca <file>', "PEM file of the CA(s) that signed the broker's certificate (mqtts:// and wss://)")
    .option('--broker-cert <file>', 'PEM client certificate to present to the broker (with --broker-key)')
    .option('--broker-key <file>', 'PEM private key of --broker-cert')
    .option(
      '--broker-user <name>',
      'broker user name (password from --broker-password-file or RINGMOE_BROKER_PASSWORD)',
    )
    .option('--broker-password-file <file>', 'file whose first line is the broker password')
    .option(
      '--broker-insecure',
      "do not check the broker's certificate (testing only; anyone on the path can pose as the broker)",
    );
}

/** Reads one flag's file: a regular file reached without links, at most `maxBytes`. */
async function readFlagFile(flag: string, path: string, maxBytes: number, what: string): Promise<Buffer> {
  try {
    return await readRegular(path, { maxBytes, label: what });
  } catch (err) {
    if (!isEdgeError(err)) throw err;
    throw new EdgeError(err.code, `cannot use ${path} as the ${what}: ${err.message}`, {
      field: flag,
      file: path,
      cause: err,
    });
  }
}

/** PEM certificates in `bytes`, checked; one error naming the flag and file when any is not one. */
function certificates(flag: string, path: string, bytes: Buffer, what: string): X509Certificate[] {
  const pems = bytes.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (!pems.length)
    throw new EdgeError('E_CONFIG', `the ${what} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`, {
      field: flag,
      file: path,
    });
  return pems.map((pem, i) => {
    try {
      return new X509Certificate(pem);
    } catch (err) {
      throw new EdgeError('E_CONFIG', `certificate ${i + 1} of the ${what} is not readable: ${messageOf(err)}`, {
        field: flag,
        file: path,
      });
    }
  });
}

/** The password: the file's first line, not empty. */
async function readPassword(path: string): Promise<string> {
  const text = (await readFlagFile('--broker-password-file', path, MAX_PASSWORD_BYTES, 'password file')).toString(
    'utf8',
  );
  const password = text.split(/\r?\n/)[0] ?? '';
  if (!password)
    throw new EdgeError('E_CONFIG', 'the password file is empty (its first line is the password)', {
      field: '--broker-password-file',
      file: path,
    });
  return password;
}

/** The TLS options the flags ask for; undefined when no TLS flag is given. */
async function readTls(o: Record<string, unknown>): Promise<TlsOptions | undefined> {
  const caPath = o.brokerCa as string | undefined;
  const certPath = o.brokerCert as string | undefined;
  const keyPath = o.brokerKey as string | undefined;
  if ((certPath === undefined) !== (keyPath === undefined))
    throw new EdgeError('E_INVALID_ARGUMENT', 'a client certificate needs its key, and a key its certificate', {
      field: certPath === undefined ? '--broker-cert' : '--broker-key',
      hint: 'give both --broker-cert <file> and --broker-key <file>',
    });
  if (caPath === undefined && certPath === undefined && o.brokerInsecure !== true) return undefined;
  const tls: TlsOptions = {};
  if (caPath !== undefined) {
    tls.ca = await readFlagFile('--broker-ca', caPath, MAX_CERT_BYTES, 'CA file');
    certificates('--broker-ca', caPath, tls.ca, 'CA file');
  }
  if (certPath !== undefined && keyPath !== undefined) {
    const certBytes = await readFlagFile('--broker-cert', certPath, MAX_CERT_BYTES, 'client certificate');
    const [cert] = certificates('--broker-cert', certPath, certBytes, 'client certificate');
    const keyBytes = await readFlagFile('--broker-key', keyPath, MAX_KEY_BYTES, 'client key');
    let key;
    try {
      key = createPrivateKey(keyBytes);
    } catch (err) {
      throw new EdgeError('E_CONFIG', `the client key is not a readable PEM private key: ${messageOf(err)}`, {
        field: '--broker-key',
        file: keyPath,
        hint: 'an unencrypted PKCS#8 or traditional PEM key, as openssl req -nodes writes',
      });
    }
    if (!cert!.checkPrivateKey(key))
      throw new EdgeError('E_CONFIG', `the client key does not belong to the certificate ${certPath}`, {
        field: '--broker-key',
        file: keyPath,
      });
    tls.cert = certBytes;
    tls.key = keyBytes;
  }
  if (o.brokerInsecure === true) tls.rejectUnauthorized = false;
  return tls;
}

/**
 * Reads the broker flags of a command's options for `brokerUrl`; undefined when none is given.
 * @param env where `RINGMOE_BROKER_PASSWORD` is read (the password when there is no password file)
 * @throws EdgeError naming the flag: E_INVALID_ARGUMENT (a certificate without its key, TLS flags
 *   with a plain mqtt:// URL, a password without a user), E_FILE_NOT_FOUND, E_PATH_UNSAFE (a link,
 *   not a regular file), E_FILE_TOO_LARGE, E_CONFIG (not PEM, a key that does not match its
 *   certificate, an empty password file), E_IO
 * @example
 * const auth = await readBrokerFlags(o, String(o.broker));
 * await FleetConsumer.create({ url: String(o.broker), fleet, ...auth });
 */
export async function readBrokerFlags(
  o: Record<string, unknown>,
  brokerUrl: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<BrokerAuth | undefined> {
  const tls = await readTls(o);
  if (tls && brokerUrl !== undefined) {
    let scheme: string | undefined;
    try {
      scheme = new URL(brokerUrl).protocol;
    } catch {
      scheme = undefined; // the command checks the URL itself and names --broker
    }
    if (scheme !== undefined && !TLS_SCHEMES.includes(scheme)) {
      const flag =
        o.brokerCa !== undefined ? '--broker-ca' : o.brokerCert !== undefined ? '--broker-cert' : '--broker-insecure';
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `TLS material is only used with a TLS broker URL, but --broker is ${brokerUrl}`,
        {
          field: flag,
          hint: 'use mqtts://host:8883 (or wss://)',
        },
      );
    }
  }
  const username = o.brokerUser as string | undefined;
  const passwordFile = o.brokerPasswordFile as string | undefined;
  const password =
    passwordFile !== undefined
      ? await readPassword(passwordFile)
      : username !== undefined
        ? env.RINGMOE_BROKER_PASSWORD
        : undefined;
  if (password !== undefined && username === undefined)
    throw new EdgeError('E_INVALID_ARGUMENT', 'a broker password needs a user name', {
      field: '--broker-password-file',
      hint: 'add --broker-user <name>',
    });
  if (!tls && username === undefined) return undefined;
  return {
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(tls ? { tls } : {}),
  };
}

/** One line for people about what the flags set up (no secrets), for `--json` too. */
export function describeBrokerAuth(auth: BrokerAuth | undefined): string {
  if (!auth) return 'no credentials';
  const parts: string[] = [];
  if (auth.tls?.cert) parts.push('client certificate');
  if (auth.tls?.ca) parts.push('own CA');
  if (auth.tls?.rejectUnauthorized === false) parts.push("broker's certificate NOT checked");
  if (auth.username !== undefined)
    parts.push(`user ${auth.username}${auth.password !== undefined ? ' with password' : ''}`);
  return parts.join(', ') || 'no credentials';
}
