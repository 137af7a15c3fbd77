/**
 * `ringmoe-edge bundle <package> -o <dir> --version v --target t`: a content-addressed OTA bundle,
 * optionally signed, with the delta against a previous bundle.
 */
import type { BundleDelta } from '../../../sdk/internal.js';
import type { CommandSpec } from '../command.js';
import { formatBytes } from '../../format/numbers.js';

interface Result {
  dir?: string;
  dryRun: boolean;
  name: string;
  version: string;
  target: string;
  modalities: string[];
  entries: string[];
  minSdkVersion: string;
  manifestSha256: string;
  files: number;
  blobs: number;
  totalSize: number;
  signedBy?: string;
  delta?: BundleDelta & { base: string };
}

export const spec: CommandSpec<Result> = {
  name: 'bundle',
  summary: 'make a signed, content-addressed OTA bundle of a package for one target',
  examples: [
    'ringmoe-edge bundle pkg/optical -o out/drone-2.0.0 --release 2.0.0 --target orin-nano-8gb --key keys/release.key',
    'ringmoe-edge bundle pkg/optical-sar -o out/drone-2.1.0 --release 2.1.0 --target jetson-orin-nano-8gb --base out/drone-2.0.0 --dry-run',
  ],
  configure(cmd) {
    cmd
      .argument('<package>', 'model package directory (pruned/compiled for the target)')
      .option('-o, --out <dir>', 'bundle directory to write (required unless --dry-run)')
      .requiredOption('--release <semver>', 'release version of the bundle (semantic version, e.g. 2.1.0)')
      .requiredOption('--target <id>', 'device target the package is built for')
      .option('--name <name>', 'bundle name (default: the package name)')
      .option('--min-sdk <semver>', 'lowest SDK version that can run it (default: this SDK)')
      .option('--notes <text>', 'release notes for operators')
      .option('--key <file>', 'sign with this private key (same as running sign afterwards)')
      .option('--base <bundle>', 'report the delta against this bundle (what a device running it would fetch)')
      .option('--dry-run', 'print the plan, write nothing')
      .option('--force', 'replace the output directory');
  },
  async run([pkg], o) {
    const { bundlePlan, applyBundlePlan } = await import('../../bundle/pack.js');
    const { openBundleDir } = await import('../../bundle/bundle-dir.js');
    const { bundleDelta } = await import('../../../sdk/internal.js');
    const { EdgeError } = await import('../../../sdk/internal.js');
    if (!o.dryRun && o.out === undefined)
      throw new EdgeError('E_INVALID_ARGUMENT', 'bundle needs -o <dir> (or --dry-run)', { field: '--out' });
    const plan = await bundlePlan({
      packageDir: pkg!,
      version: String(o.release),
      target: String(o.target),
      ...(o.name !== undefined ? { name: String(o.name) } : {}),
      ...(o.minSdk !== undefined ? { minSdkVersion: String(o.minSdk) } : {}),
      ...(o.notes !== undefined ? { notes: String(o.notes) } : {}),
    });
    const m = plan.manifest;
    const delta =
      o.base !== undefined
        ? {
            ...bundleDelta(
              m,
              (await openBundleDir(String(o.base))).manifest.files.map((f) => f.sha256),
            ),
            base: String(o.base),
          }
        : undefined;
    let signedBy: string | undefined;
    if (!o.dryRun) {
      await applyBundlePlan(plan, String(o.out), { force: Boolean(o.force) });
      if (o.key !== undefined) {
        const { signBundleDir } = await import('../../bundle/sign.js');
        signedBy = (await signBundleDir(String(o.out), String(o.key))).keyId;
      }
    }
    return {
      ...(o.dryRun ? {} : { dir: String(o.out) }),
      dryRun: Boolean(o.dryRun),
      name: m.name,
      version: m.version,
      target: m.target,
      modalities: m.modalities,
      entries: m.entries,
      minSdkVersion: m.minSdkVersion,
      manifestSha256: plan.manifestSha256,
      files: m.files.length,
      blobs: plan.blobs.length,
      totalSize: m.totalSize,
      ...(signedBy ? { signedBy } : {}),
      ...(delta ? { delta } : {}),
    };
  },
  render(r, io) {
    io.out(
      `${r.dryRun ? 'would write' : 'wrote'} ${r.name}@${r.version} for ${r.target}${r.dir ? ` to ${r.dir}` : ''}: ${r.files} files, ${r.blobs} blobs, ${formatBytes(r.totalSize)}`,
    );
    io.out(
      `modalities ${r.modalities.join(', ')}; entries ${r.entries.join(', ')}; needs SDK ${r.minSdkVersion}; manifest ${r.manifestSha256}`,
    );
    if (r.delta)
      io.out(
        `delta vs ${r.delta.base}: ${r.delta.blobsNeeded} of ${r.delta.blobsTotal} blobs, ${formatBytes(r.delta.bytesNeeded)} of ${formatBytes(r.delta.bytesTotal)} (${((100 * r.delta.bytesNeeded) / Math.max(1, r.delta.bytesTotal)).toFixed(1)}%)`,
      );
    if (r.signedBy) io.out(`signed by key ${r.signedBy}`);
    else if (!r.dryRun) io.out('not signed yet: ringmoe-edge sign <bundle> --key <key>');
  },
};
