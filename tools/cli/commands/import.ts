/**
 * `ringmoe-edge import <model.onnx> -o <dir>`: wraps any ONNX model as a one-entry package.
 */
import { EdgeError } from '../../../sdk/internal.js';
import type { DetectionLayout } from '../../package/detection-layout.js';
import type { CommandSpec } from '../command.js';
import { formatBytes } from '../../format/numbers.js';

interface Result {
  dir: string;
  entry: string;
  inputs: string[];
  outputs: string[];
  tasks: string[];
  files: number;
  bytes: number;
  params: number;
}

export const spec: CommandSpec<Result> = {
  name: 'import',
  summary: 'wrap any single ONNX model (a vendor detector, say) as a one-entry package',
  examples: [
    'ringmoe-edge import detector.onnx -o pkg/detector --modality optical',
    'ringmoe-edge import rotated.onnx -o pkg/ships --modality optical --det-boxes dets --det-layout rbox --det-angle deg --det-scores scores --det-classes labels --labels ship,barge',
  ],
  configure(cmd) {
    cmd
      .argument('<model>', 'ONNX model file')
      .requiredOption('-o, --out <dir>', 'output package directory')
      .option('--entry <name>', 'entry name (default: the file name)')
      .option('--modality <id>', 'sensor modality the model reads (for preprocessing)')
      .option('--det-boxes <output>', 'the model is a detector: output holding its boxes [N, M, 4|5|8]')
      .option('--det-layout <layout>', 'box layout: xyxy (default), rbox (cx,cy,w,h,angle) or quad (DOTA corners)')
      .option('--det-angle <format>', 'rbox angle: rad, deg, rad-ccw or deg-ccw (ccw: counter-clockwise on screen)')
      .option('--det-scores <output>', 'detector output holding the scores [N, M]')
      .option('--det-classes <output>', 'detector output holding the class ids [N, M]')
      .option('--labels <names>', 'comma-separated detection class names')
      .option('--force', 'replace the output directory if it exists');
  },
  async run([model], o, io) {
    const { importModel } = await import('../../package/import-model.js');
    const det = [o.detBoxes, o.detScores, o.detClasses];
    if (det.some((x) => x !== undefined) && det.some((x) => x === undefined)) {
      throw new EdgeError(
        'E_INVALID_ARGUMENT',
        '--det-boxes, --det-scores and --det-classes declare a detector together; give all three',
        { field: '--det-boxes' },
      );
    }
    for (const [flag, v] of [
      ['--det-layout', o.detLayout],
      ['--det-angle', o.detAngle],
    ] as const) {
      if (v !== undefined && o.detBoxes === undefined)
        throw new EdgeError(
          'E_INVALID_ARGUMENT',
          `${flag} describes a detector's boxes and needs --det-boxes, --det-scores and --det-classes`,
          { field: flag },
        );
    }
    const progress = io.progress('copying weights', 1, 'bytes');
    const m = await importModel({
      model: model!,
      outDir: String(o.out),
      ...(o.entry !== undefined ? { entry: String(o.entry) } : {}),
      ...(o.modality !== undefined ? { modality: String(o.modality) } : {}),
      ...(o.detBoxes !== undefined
        ? {
            detection: {
              boxes: String(o.detBoxes),
              layout: String(o.detLayout ?? 'xyxy') as DetectionLayout['layout'],
              ...(o.detAngle !== undefined ? { angle: String(o.detAngle) as DetectionLayout['angle'] } : {}),
              scores: String(o.detScores),
              classes: String(o.detClasses),
            },
          }
        : {}),
      ...(o.labels !== undefined
        ? {
            labels: String(o.labels)
              .split(',')
              .map((x) => x.trim()),
          }
        : {}),
      force: Boolean(o.force),
      onProgress: (d, t) => progress.update(d, t),
    });
    progress.stop();
    const e = m.entries[0]!;
    return {
      dir: String(o.out),
      entry: e.name,
      inputs: e.inputs.map((i) => `${i.name} ${i.dtype}[${i.shape.join(',')}]`),
      outputs: e.outputs.map((i) => `${i.name} ${i.dtype}[${i.shape.join(',')}]`),
      tasks: e.tasks,
      files: Object.keys(m.files).length + 1,
      bytes: Object.values(m.files).reduce((s, f) => s + f.size, 0),
      params: m.model.params.total,
    };
  },
  render(r, io) {
    io.out(
      `imported as entry "${r.entry}" in ${r.dir} (${r.files} files, ${formatBytes(r.bytes)}, ${r.params} parameters)`,
    );
    io.out(`  inputs:  ${r.inputs.join('; ')}`);
    io.out(`  outputs: ${r.outputs.join('; ')}`);
    io.out(`  tasks:   ${r.tasks.join(', ')}`);
  },
};
