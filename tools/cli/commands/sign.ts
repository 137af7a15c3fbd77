/**
 * `ringmoe-edge sign <bundle> --key <key>`: writes bundle.sig.
 */
import type { CommandSpec } from '../command.js';

interface Result {
  dir: string;
  keyId: string;
  manifestSha256: string;
}

export const spec: CommandSpec<Result> = {
  name: 'sign',
  summary: 'sign a bundle manifest with an Ed25519 private key (writes bundle.sig)',
  examples: ['ringmoe-edge sign out/drone-2.0.0 --key keys/release.key'],
  configure(cmd) {
    cmd
      .argument('<bundle>', 'bundle directory')
      .requiredOption('--key <file>', 'private key (PEM) from ringmoe-edge keygen');
  },
  async run([dir], o) {
    const { signBundleDir } = await import('../../bundle/sign.js');
    const sig = await signBundleDir(dir!, String(o.key));
    return { dir: dir!, keyId: sig.keyId, manifestSha256: sig.manifestSha256 };
  },
  render(r, io) {
    io.out(`signed ${r.dir} (manifest ${r.manifestSha256}) with key ${r.keyId}`);
  },
};
