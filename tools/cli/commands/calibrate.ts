/**
 * `ringmoe-edge calibrate <package> --frames <spec>` (tools/frames/spec.ts grammar): routing statistics (tokens per expert,
 * per router, per block, per modality) measured with onnxruntime, saved as routing-stats.json
 * beside the package files.
 */
import { EdgeError } from '../../../sdk/internal.js';
import { expectInteger, expectOneOf } from '../../../sdk/internal.js';
import type { FrameRecord } from '../../calibrate/routing-stats.js';
import type { CommandSpec } from '../command.js';
import { noteDeprecated } from '../deprecation.js';
import { addSensorOptions, readSensorFlags, sensorFor } from '../sensor-flags.js';
import { table } from '../../format/table.js';

interface Result {
  file: string;
  package: string;
  packageHash: string;
  modalities: {
    modality: string;
    entry: string;
    frames: number;
    inputs: number;
    source: string;
    tokens: number;
    busiest: string;
  }[];
  replacedForeign: boolean;
}

function sourceOf(frames: FrameRecord[]): string {
  const kinds = [...new Set(frames.map((f) => f.source))];
  return kinds.length === 1 ? kinds[0]! : 'mixed';
}

export const spec: CommandSpec<Result> = {
  name: 'calibrate',
  optionFlags: { modalities: '--modality' },
  summary: 'count how often each expert is chosen on frames (routing statistics for prune)',
  examples: [
    'ringmoe-edge calibrate pkg/small --frames examples/data/aerial --modality optical --fit tile',
    'ringmoe-edge calibrate pkg/small --frames "frames/sar-*.npy" --modality sar-l2',
    'ringmoe-edge calibrate pkg/tiny --frames generated:16',
    'ringmoe-edge calibrate pkg/small --frames "optical=flights/**/*.jpg" --fit tile',
    'ringmoe-edge calibrate pkg/small --frames landsat8/ --modality multispectral --sensor landsat8-oli-tirs --fit tile',
  ],
  configure(cmd) {
    cmd
      .argument('<package>', 'package directory')
      .option(
        '--frames <spec>',
        'frames: [<modality>=]<file|dir|glob> of sensor images (JPEG, PNG, WebP, TIFF) or preprocessed .npy tensors [C,H,W], or generated[:<modality>][:<count>[:<seed>]] (frames generated in code: object scenes, quad-pol SAR scenes; not imagery)',
      )
      .option(
        '--fit <mode>',
        'how images become model inputs: resize (one per image), resize-crop, tile (native resolution)',
        'resize',
      )
      .option('--generated <n>', 'deprecated: --frames generated:<n>')
      .option('--modality <id>', 'modality the frames are (default: every modality of the package)')
      .option('--batch <n>', 'model inputs per onnxruntime run', '4');
    addSensorOptions(cmd, 'the --frames images');
  },
  async run([dir], o, io) {
    const { calibratePackage } = await import('../../calibrate/calibrate.js');
    const { framesFromSpec } = await import('../../frames/frame.js');
    if ((o.frames === undefined) === (o.generated === undefined)) {
      const both = o.frames !== undefined;
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        both
          ? 'give --frames alone (--generated <n> is the old spelling of --frames generated:<n>)'
          : 'calibrate needs --frames <spec>',
        {
          field: '--frames',
          hint: 'e.g. --frames frames/, --frames "optical=flights/**/*.jpg" or --frames generated:16',
        },
      );
    }
    let text = o.frames !== undefined ? String(o.frames) : undefined;
    if (text === undefined) {
      noteDeprecated(io, '--generated <n>', '--frames generated:<n>');
      text = `generated:${expectInteger('--generated', Number(o.generated), 1, 100000)}`;
    }
    const fit = expectOneOf('--fit', o.fit, ['resize', 'resize-crop', 'tile'] as const);
    const sensor = await readSensorFlags(o);
    const named = await framesFromSpec(text, {
      field: 'frames',
      purpose: 'calibration',
      defaultCount: 16,
      fit,
      ...(sensor ? { sensorFor: (m: string) => sensorFor(sensor, m) } : {}),
    });
    if (named.modality !== undefined && o.modality !== undefined && named.modality !== String(o.modality)) {
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        `--frames says ${named.modality} frames but --modality says ${String(o.modality)}`,
        { field: '--modality' },
      );
    }
    const modality = o.modality !== undefined ? String(o.modality) : named.modality;
    const frames = named.frames;
    const progress = io.progress('calibrating', frames.length, 'frames');
    const r = await calibratePackage({
      dir: dir!,
      frames,
      ...(modality !== undefined ? { modalities: [modality] } : {}),
      batch: expectInteger('--batch', Number(o.batch), 1, 1024),
      onProgress: (d, t, l) => progress.update(d, t, l),
    });
    progress.stop();
    const calibrated = modality !== undefined ? [modality] : Object.keys(r.stats.modalities);
    return {
      file: r.file,
      package: r.stats.package.name,
      packageHash: r.stats.package.sha256,
      replacedForeign: r.replacedForeign,
      modalities: calibrated.map((m) => {
        const s = r.stats.modalities[m]!;
        const collab = Object.values(s.blocks)
          .map((b) => Object.entries(b.routers).find(([id]) => id.endsWith('.router.collaborative'))?.[1])
          .filter((x) => x !== undefined);
        const sums = collab[0]?.counts.map((_, k) => collab.reduce((acc, rc) => acc + rc.counts[k]!, 0)) ?? [];
        const total = sums.reduce((a, b) => a + b, 0);
        const busiest = total ? sums.map((c, k) => `#${k} ${((100 * c) / total).toFixed(0)}%`).join(' ') : '-';
        return {
          modality: m,
          entry: s.entry,
          frames: s.frames.length,
          inputs: s.inputs ?? s.frames.length,
          source: sourceOf(s.frames),
          tokens: Object.values(s.blocks).reduce((a, b) => a + b.tokens, 0),
          busiest,
        };
      }),
    };
  },
  render(r, io) {
    io.out(
      `routing statistics of ${r.package} (${r.packageHash.slice(0, 12)}…) written to ${r.file}${r.replacedForeign ? ' (replaced statistics of another package)' : ''}`,
    );
    io.out(
      table(
        [
          'modality',
          'entry',
          'frames',
          'model inputs',
          'frames are',
          'tokens (all blocks)',
          'collaborative share (all blocks)',
        ],
        r.modalities.map((m) => [m.modality, m.entry, m.frames, m.inputs, m.source, m.tokens, m.busiest]),
      ),
    );
  },
};
