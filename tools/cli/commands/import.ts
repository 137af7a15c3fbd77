/**
 * `ringmoe-edge import <model.onnx> -o <dir>`: wraps any ONNX model as a one-entry package.
 */
import type { CommandSpec } from '../command.js';
import { formatBytes } from '../io.js';

interface Result {
  dir: string;
  entry: string;
  inputs: string[];
  outputs: string[];
  files: number;
  bytes: number;
  params: number;
}

export const spec: CommandSpec<Result> = {
  name: 'import',
  summary: 'wrap any single ONNX model (a vendor detector, say) as a one-entry package',
  examples: ['ringmoe-edge import detector.onnx -o pkg/detector --modality optical'],
  configure(cmd) {
    cmd
      .argument('<model>', 'ONNX model file')
      .requiredOption('-o, --out <dir>', 'output package directory')
      .option('--entry <name>', 'entry name (default: the file name)')
      .option('--modality <id>', 'sensor modality the model reads (for preprocessing)')
      .option('--force', 'replace the output directory if it exists');
  },
  async run([model], o, io) {
    const { importModel } = await import('../../package/import-model.js');
    const progress = io.progress('copying weights', 1, 'bytes');
    const m = await importModel({
      model: model!,
      outDir: String(o.out),
      ...(o.entry !== undefined ? { entry: String(o.entry) } : {}),
      ...(o.modality !== undefined ? { modality: String(o.modality) } : {}),
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
      files: Object.keys(m.files).length + 1,
      bytes: Object.values(m.files).reduce((s, f) => s + f.size, 0),
      params: m.model.params.total,
    };
  },
  render(r, io) {
    io.out(`imported as entry "${r.entry}" in ${r.dir} (${r.files} files, ${formatBytes(r.bytes)}, ${r.params} parameters)`);
    io.out(`  inputs:  ${r.inputs.join('; ')}`);
    io.out(`  outputs: ${r.outputs.join('; ')}`);
  },
};
