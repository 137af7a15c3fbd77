/**
 * `ringmoe-edge verify <bundle> --trust <file>`: what a device checks, at the workstation.
 */
import type { CommandSpec } from '../command.js';
import { formatBytes } from '../../format/numbers.js';
import type { VerifyBundleReport } from '../../bundle/verify-bundle.js';

export const spec: CommandSpec<VerifyBundleReport> = {
  name: 'verify',
  summary: 'verify a bundle as a device would: signature, every blob hash, paths, limits, package consistency, target',
  examples: [
    'ringmoe-edge verify out/drone-2.0.0 --trust device/trust.json --target jetson-orin-nano-8gb',
    'ringmoe-edge verify out/drone-2.0.0 --pub keys/release.pub --json',
  ],
  configure(cmd) {
    cmd
      .argument('<bundle>', 'bundle directory')
      .option('--trust <file>', 'device trust file')
      .option('--pub <file>', 'a public key trusted for bundles (instead of --trust)')
      .option('--target <id>', 'the device target it must be for');
  },
  async run([dir], o) {
    const { verifyBundleDir } = await import('../../bundle/verify-bundle.js');
    return verifyBundleDir(dir!, {
      ...(o.trust !== undefined ? { trust: String(o.trust) } : {}),
      ...(o.pub !== undefined ? { publicKey: String(o.pub) } : {}),
      ...(o.target !== undefined ? { target: String(o.target) } : {}),
    });
  },
  render(r, io) {
    io.out(
      `OK ${r.name}@${r.version} for ${r.target}: signed by ${r.keyId}, ${r.files} files, ${r.blobs} blobs verified, ${formatBytes(r.totalSize)}`,
    );
    io.out(`manifest ${r.manifestSha256}`);
    for (const w of r.warnings) io.out(`warning: ${w}`);
  },
};
