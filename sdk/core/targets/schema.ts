/**
 * The JSON Schema of a device target profile (targets/<id>.json). Built with typed builders so it
 * follows written.ts key for key; `tools/scripts/gen-target-schema.ts` writes it to
 * targets/schema.json, and a test fails when the committed file is stale.
 *
 * Structure only: cross-field rules (DLA precisions need DLA cores, the default power mode must be
 * one of the modes, the reserve must fit in memory, ...) are in rules.ts.
 */
import type { JsonSchema } from './json-schema.js';
import { attestationProperties, COMMON_DEFS, fact, objectOf, ref, V } from './schema-builder.js';
import {
  CPU_ISAS,
  INT8_FORMATS,
  TARGET_KINDS,
  TARGET_SCHEMA_VERSION,
  THROUGHPUT_SCOPES,
  type WrittenCpu,
  type WrittenDla,
  type WrittenGpu,
  type WrittenMemory,
  type WrittenPower,
  type WrittenPowerMode,
  type WrittenPowerModeSet,
  type WrittenPublishedThroughput,
  type WrittenReserve,
  type WrittenSoftwareLine,
  type WrittenTargetProfile,
  type WrittenThroughput,
} from './written.js';

const precisions = (description: string): JsonSchema => fact(ref('precisionList'), description);

const gpu = objectOf<WrittenGpu>()(
  {
    architecture: fact(V.text, 'GPU architecture name, e.g. "Ampere".'),
    computeCapability: fact(V.computeCapability, 'CUDA compute capability "major.minor"; sm_XY is derived from it.'),
    otherComputeCapabilities: fact(
      { type: 'array', items: V.computeCapability, minItems: 1 },
      'Numberings of the same GPU under other toolkits.',
    ),
    cudaCores: fact(V.positiveInteger),
    tensorCores: fact(V.nonNegativeInteger, '0 where the GPU has none.'),
    maxClockMHz: fact(V.positiveNumber, 'Highest GPU clock; basis of per-clock throughput estimates.'),
    precisions: precisions('Precisions TensorRT builds for this GPU.'),
  },
  ['architecture', 'computeCapability', 'cudaCores', 'tensorCores', 'precisions'],
  { title: 'gpu' },
);

const cpu = objectOf<WrittenCpu>()(
  {
    cores: fact(V.positiveInteger),
    model: fact(V.text),
    isa: { enum: CPU_ISAS },
    precisions: precisions('Precisions the CPU runtime executes; required on CPU-only targets.'),
  },
  ['cores', 'isa'],
  { title: 'cpu' },
);

const memory = objectOf<WrittenMemory>()(
  {
    totalGiB: fact(V.positiveNumber, 'Capacity in GiB as the vendor states it.'),
    type: fact(V.text),
    busWidthBits: fact(V.positiveInteger),
    bandwidthGBps: fact(V.positiveNumber, 'Peak bandwidth in GB/s (10^9 bytes/s).'),
    unified: fact(V.bool, 'True when CPU, GPU and DLA share one DRAM (every Jetson).'),
    hostGiB: fact(V.positiveNumber, 'Host RAM beside a discrete GPU.'),
  },
  ['totalGiB', 'bandwidthGBps', 'unified'],
  { title: 'memory' },
);

const reserve = objectOf<WrittenReserve>()(
  {
    osGiB: fact(V.nonNegativeNumber, 'Operating system, carve-outs and services.'),
    runtimeGiB: fact(V.nonNegativeNumber, 'CUDA context, inference libraries and our process.'),
    pipelineGiB: fact(V.nonNegativeNumber, 'Camera / video pipeline buffers.'),
  },
  ['osGiB', 'runtimeGiB', 'pipelineGiB'],
  { title: 'reserve', description: 'Memory the model must not use (our policy).' },
);

const dla = objectOf<WrittenDla>()(
  {
    count: fact(V.nonNegativeInteger),
    generation: fact({ enum: ['v1', 'v2'] }, '"v1" (Xavier) or "v2" (Orin).'),
    precisions: precisions('Precisions the DLA runs; empty when there is no DLA.'),
  },
  ['count', 'precisions'],
  { title: 'dla' },
);

const published = objectOf<WrittenPublishedThroughput>()(
  {
    scope: { enum: THROUGHPUT_SCOPES, description: 'What the published figures cover.' },
    int8SparseTops: fact(V.positiveNumber),
    int8DenseTops: fact(V.positiveNumber),
    fp4SparseTflops: fact(V.positiveNumber),
  },
  ['scope'],
  { title: 'published throughput' },
);

const throughput = objectOf<WrittenThroughput>()(
  {
    int8DenseTops: fact(V.positiveNumber, 'Dense INT8 peak of the unit that runs the model, TOPS.'),
    fp16DenseTflops: fact(V.positiveNumber, 'Dense FP16 peak of the unit that runs the model, TFLOPS.'),
    fp32Tflops: fact(V.positiveNumber, 'FP32 peak of the unit that runs the model, TFLOPS.'),
    published,
  },
  [],
  { title: 'throughput' },
);

const powerMode = objectOf<WrittenPowerMode>()(
  {
    name: { ...V.text, description: 'nvpmodel NAME; modes are selected by name, never by index.' },
    watts: { anyOf: [V.positiveNumber, { type: 'null' }], description: 'Budget the mode is named for; null for MAXN.' },
    gpuMaxMHz: { anyOf: [V.positiveNumber, { type: 'null' }], description: 'GPU clock cap; null when uncapped.' },
    cpuCoresOnline: V.positiveInteger,
    int8SparseTops: fact(V.positiveNumber),
    int8DenseTops: fact(V.positiveNumber),
  },
  ['name', 'watts'],
  { title: 'power mode' },
);

const powerModeSet = objectOf<WrittenPowerModeSet>()(
  {
    name: V.text,
    defaultMode: { ...V.text, description: 'Name of the mode nvpmodel selects by default.' },
    minJetPack: fact(V.jetpackVersion, 'First JetPack shipping this configuration.'),
    modes: { type: 'array', items: powerMode, minItems: 1 },
    ...attestationProperties(),
  },
  ['name', 'defaultMode', 'modes', 'confidence'],
  { title: 'power mode set' },
);

const power = objectOf<WrittenPower>()(
  {
    maxPowerW: fact(V.positiveNumber, 'Module (or board) maximum power in W.'),
    modeSets: { type: 'array', items: powerModeSet },
  },
  ['modeSets'],
  { title: 'power' },
);

const softwareLine = objectOf<WrittenSoftwareLine>()(
  {
    name: V.text,
    jetpack: V.jetpackVersion,
    l4t: fact(V.l4tVersion),
    cuda: fact(V.dottedVersion),
    cudnn: fact(V.dottedVersion),
    tensorrt: fact(V.tensorrtVersion),
    onnxruntime: fact(V.dottedVersion),
    dla: fact(V.bool, 'Whether TensorRT on this line can use the DLA cores.'),
    ...attestationProperties(),
  },
  ['name', 'confidence'],
  { title: 'software line' },
);

/** The profile schema (the object targets/schema.json is generated from). */
export const TARGET_PROFILE_SCHEMA: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  ...objectOf<WrittenTargetProfile>()(
    {
      $schema: { type: 'string' },
      schemaVersion: { const: TARGET_SCHEMA_VERSION },
      id: V.id,
      name: V.text,
      kind: { enum: TARGET_KINDS },
      aliases: { type: 'array', items: V.id, uniqueItems: true },
      description: V.text,
      notes: { type: 'array', items: V.text },
      gpu,
      cpu,
      memory,
      reserve,
      dla,
      throughput,
      power,
      software: { type: 'array', items: softwareLine, minItems: 1 },
      int8Format: {
        enum: INT8_FORMATS,
        description:
          'How INT8 packages are written for this target: qdq-symmetric (TensorRT) or cpu-dynamic (onnxruntime CPU). Default: by runtime.',
      },
    },
    ['schemaVersion', 'id', 'name', 'kind', 'cpu', 'memory', 'reserve', 'throughput', 'software'],
    {
      title: 'ringmoe-edge device target profile',
      description:
        'One device the toolchain builds for. Every fact carries its confidence and source; see targets/README.md.',
    },
  ),
  $defs: COMMON_DEFS,
};

/** The text of targets/schema.json: the schema as 2-space JSON with a final newline. */
export function targetSchemaJson(): string {
  return `${JSON.stringify(TARGET_PROFILE_SCHEMA, null, 2)}\n`;
}
