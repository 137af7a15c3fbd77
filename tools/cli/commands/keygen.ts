/**
 * `ringmoe-edge keygen -o <base>`: an Ed25519 key pair for signing bundles, desired states and
 * rollbacks, or (with --device) a device's own key for signing its reports, optionally added to a
 * trust file.
 */
import { TRUST_ROLES, type TrustRole } from '../../../sdk/internal.js';
import { invalidOption } from '../../../sdk/internal.js';
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
  examples: [
    'ringmoe-edge keygen -o keys/release --trust device/trust.json --roles bundle',
    'ringmoe-edge keygen -o keys/operator --trust device/trust.json --roles desired',
    'ringmoe-edge keygen -o keys/rollback --trust device/trust.json --roles desired,rollback',
    'ringmoe-edge keygen -o drone-7/device --device drone-7 --trust fleet/trust.json',
  ],
  configure(cmd) {
    cmd
      .requiredOption('-o, --out <base>', 'path without extension: writes <base>.key (mode 0600) and <base>.pub')
      .option('--trust <file>', 'add the public key to this trust file (created if absent)')
      .option(
        '--roles <list>',
        `roles the trust file grants the key: ${TRUST_ROLES.join(', ')} (comma-separated; default bundle,desired, or device with --device)`,
      )
      .option('--device <id>', "a device's own key (provisioning): trusted for signing that device's reports")
      .option('--name <name>', 'name of the key in the trust file')
      .option('--force', 'overwrite existing key files');
  },
  async run(_args, o) {
    const { generateKeyFiles, addToTrustFile } = await import('../../bundle/keys.js');
    const device = o.device === undefined ? undefined : String(o.device);
    const roles = String(o.roles ?? (device !== undefined ? 'device' : 'bundle,desired'))
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean);
    if (!roles.length || !roles.every((r) => (TRUST_ROLES as readonly string[]).includes(r)))
      throw invalidOption('--roles', `a comma-separated list of ${TRUST_ROLES.join(', ')}`, o.roles);
    if (roles.includes('device') !== (device !== undefined))
      throw invalidOption('--device', 'given exactly when --roles includes device', o.device);
    const keys = await generateKeyFiles(String(o.out), Boolean(o.force));
    let trust: Result['trust'];
    if (o.trust !== undefined) {
      const file = await addToTrustFile(
        String(o.trust),
        keys.publicKey,
        roles as TrustRole[],
        o.name === undefined ? device : String(o.name),
        device,
      );
      trust = { file: String(o.trust), roles: roles as TrustRole[], keys: file.keys.length };
    }
    return { ...keys, ...(trust ? { trust } : {}) };
  },
  render(r, io) {
    io.out(`key ${r.keyId}: private ${r.privateKey} (keep it secret), public ${r.publicKey}`);
    if (r.trust)
      io.out(
        `trusted for ${r.trust.roles.join(', ')} in ${r.trust.file} (${r.trust.keys} key${r.trust.keys === 1 ? '' : 's'})`,
      );
  },
};
