/**
 * Key files for bundle and desired-state signing: an Ed25519 pair as PEM files (private key
 * written with mode 0600), and trust files devices load.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import { keyIdOf } from '../../sdk/internal.js';
import { TRUST_FORMAT, TrustStore, type TrustFile, type TrustRole } from '../../sdk/internal.js';
import { writeFileDurable } from '../../sdk/internal.js';

/** What {@link generateKeyFiles} wrote. */
export interface KeyFiles {
  privateKey: string;
  publicKey: string;
  keyId: string;
}

/**
 * Writes `<base>.key` (PKCS#8 PEM, mode 0600) and `<base>.pub` (SPKI PEM).
 * @throws EdgeError E_OUTPUT_EXISTS unless `force`
 * @example
 * const { keyId } = await generateKeyFiles('keys/release');
 */
export async function generateKeyFiles(base: string, force = false): Promise<KeyFiles> {
  const privateKey = `${base}.key`;
  const publicKey = `${base}.pub`;
  for (const p of [privateKey, publicKey]) {
    if (!force && existsSync(p))
      throw new EdgeError('E_OUTPUT_EXISTS', 'key file exists; refusing to overwrite a key', {
        file: p,
        hint: 'choose another -o, or pass --force',
      });
  }
  const pair = generateKeyPairSync('ed25519');
  await mkdir(dirname(privateKey), { recursive: true });
  await writeFile(privateKey, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600 });
  await writeFile(publicKey, pair.publicKey.export({ format: 'pem', type: 'spki' }) as string);
  return { privateKey, publicKey, keyId: keyIdOf(pair.publicKey) };
}

/**
 * Reads an Ed25519 private key (PEM).
 * @throws EdgeError E_FILE_NOT_FOUND, E_SIGNATURE (not an Ed25519 private key)
 */
export async function loadPrivateKey(path: string): Promise<KeyObject> {
  const pem = await readKeyFile(path);
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new EdgeError('E_SIGNATURE', `not a PEM private key: ${messageOf(err)}`, {
      file: path,
      hint: 'pass the .key file ringmoe-edge keygen wrote',
    });
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new EdgeError('E_SIGNATURE', `key is ${key.asymmetricKeyType}, expected ed25519`, { file: path });
  return key;
}

/**
 * Reads an Ed25519 public key (PEM).
 * @throws EdgeError E_FILE_NOT_FOUND, E_SIGNATURE
 */
export async function loadPublicKey(path: string): Promise<{ key: KeyObject; pem: string }> {
  const pem = await readKeyFile(path);
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new EdgeError('E_SIGNATURE', `not a PEM public key: ${messageOf(err)}`, { file: path });
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new EdgeError('E_SIGNATURE', `key is ${key.asymmetricKeyType}, expected ed25519`, { file: path });
  return { key, pem: key.export({ format: 'pem', type: 'spki' }) as string };
}

async function readKeyFile(path: string): Promise<string> {
  return readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new EdgeError(err.code === 'ENOENT' ? 'E_FILE_NOT_FOUND' : 'E_IO', `cannot read the key: ${messageOf(err)}`, {
      file: path,
    });
  });
}

/**
 * Adds a public key to a trust file (creating it), for the given roles. Adding a key already
 * present replaces its roles and name.
 * @throws EdgeError E_CONFIG (existing file invalid), E_SIGNATURE
 */
export async function addToTrustFile(
  trustPath: string,
  publicKeyPath: string,
  roles: TrustRole[],
  name?: string,
  device?: string,
): Promise<TrustFile> {
  const { key, pem } = await loadPublicKey(publicKeyPath);
  const keyId = keyIdOf(key);
  const existing = existsSync(trustPath) ? (await TrustStore.load(trustPath)).list() : [];
  const keys = existing.filter((k) => k.keyId !== keyId);
  keys.push({ keyId, name: name ?? keyId, roles, ...(device !== undefined ? { device } : {}), publicKey: pem });
  const file: TrustFile = { format: TRUST_FORMAT, keys };
  TrustStore.parse(file, trustPath); // never write a file devices would refuse
  await mkdir(dirname(trustPath), { recursive: true });
  await writeFileDurable(trustPath, `${JSON.stringify(file, null, 2)}\n`);
  return file;
}
