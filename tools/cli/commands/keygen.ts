/**
 * `ringmoe-edge keygen -o <base>`: an Ed25519 key pair for signing bundles and desired states,
 * optionally added to a device trust file.
 */
import { TRUST_ROLES, type TrustRole } from '../../../sdk/ota/trust-store.js';
import { invalidOption } from '../../../sdk/core/validate.js';
import type { CommandSpec } from '../command.js';

interface Result {
  keyId: string;
  privateKey: string;
  publicKey: string;
  trust?: { file: string; roles: TrustRole[]; keys: number };
}

export const spec: CommandSpec<Result> = {
  name: 'keygen',
  summary: 'make an Ed25519 signing key pair (<base>.key, <base>.pub) and optionally trust it in a device trust file',
  examples: ['ringmoe-edge keygen -o keys/release --trust device/trust.json --roles bundle', 'ringmoe-edge keygen -o keys/operator --trust device/trust.json --roles desired'],
  configure(cmd) {
    cmd
      .requiredOption('-o, --out <base>', 'path without extension: writes <base>.key (mode 0600) and <base>.pub')
      .option('--trust <file>', 'add the public key to this trust file (created if absent)')
      .option('--roles <list>', `roles the trust file grants the key: ${TRUST_ROLES.join(', ')} (comma-separated)`, TRUST_ROLES.join(','))
      .option('--name <name>', 'name of the key in the trust file')
      .option('--force', 'overwrite existing key files');
  },
  async run(_args, o) {
    const { generateKeyFiles, addToTrustFile } = await import('../../bundle/keys.js');
    const roles = String(o.roles)
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean);
    if (!roles.length || !roles.every((r) => (TRUST_ROLES as readonly string[]).includes(r))) throw invalidOption('--roles', `a comma-separated list of ${TRUST_ROLES.join(', ')}`, o.roles);
    const keys = await generateKeyFiles(String(o.out), Boolean(o.force));
    let trust: Result['trust'];
    if (o.trust !== undefined) {
      const file = await addToTrustFile(String(o.trust), keys.publicKey, roles as TrustRole[], o.name === undefined ? undefined : String(o.name));
      trust = { file: String(o.trust), roles: roles as TrustRole[], keys: file.keys.length };
    }
    return { ...keys, ...(trust ? { trust } : {}) };
  },
  render(r, io) {
    io.out(`key ${r.keyId}: private ${r.privateKey} (keep it secret), public ${r.publicKey}`);
    if (r.trust) io.out(`trusted for ${r.trust.roles.join(', ')} in ${r.trust.file} (${r.trust.keys} key${r.trust.keys === 1 ? '' : 's'})`);
  },
};
