/**
 * The command registry: one lazy loader per command module (tools/cli/commands/<name>.ts).
 * Add a line here when adding a command.
 */
import type { CommandSpec } from '../command.js';

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<{ spec: CommandSpec<any> }>;
}

export const COMMANDS: CommandEntry[] = [
  { name: 'reference', summary: 'write a seeded RingMoE package', load: () => import('./reference.js') },
  { name: 'convert', summary: 'convert a trained checkpoint into a package', load: () => import('./convert.js') },
  { name: 'import', summary: 'wrap an ONNX model as a package', load: () => import('./import.js') },
  { name: 'inspect', summary: 'show what a package holds', load: () => import('./inspect.js') },
  { name: 'plan', summary: 'tier accounting and device planning', load: () => import('./plan.js') },
  { name: 'targets', summary: 'list device target profiles or show one', load: () => import('./targets.js') },

  {
    name: 'subscribe',
    summary: "print a fleet's results as they arrive, then a fleet summary",
    load: () => import('./subscribe.js'),
  },
  {
    name: 'station',
    summary: 'serve a live web page and Prometheus metrics of a fleet (ground station)',
    load: () => import('./station.js'),
  },
  { name: 'compile', summary: 'compile a package for a device target', load: () => import('./compile.js') },
  {
    name: 'quantize',
    summary:
      "quantize a package to INT8 (in the target's format: Q/DQ for TensorRT, run-time quantized MatMuls for CPU) or FP16",
    load: () => import('./quantize.js'),
  },
  { name: 'calibrate', summary: 'routing statistics for pruning', load: () => import('./calibrate.js') },
  { name: 'prune', summary: 'prune a package for a device', load: () => import('./prune.js') },
  {
    name: 'evaluate',
    summary: 'accuracy and confusion matrix of a classifier on a labelled dataset',
    load: () => import('./evaluate.js'),
  },
  {
    name: 'run',
    summary: 'run frames from files through a package, optionally publishing over MQTT',
    load: () => import('./run.js'),
  },
  { name: 'keygen', summary: 'make an Ed25519 signing key pair', load: () => import('./keygen.js') },
  { name: 'bundle', summary: 'make a content-addressed OTA bundle', load: () => import('./bundle.js') },
  { name: 'sign', summary: 'sign a bundle', load: () => import('./sign.js') },
  { name: 'verify', summary: 'verify a bundle as a device would', load: () => import('./verify.js') },
  {
    name: 'publish',
    summary: 'serve a bundle and set the desired state of a fleet',
    load: () => import('./publish.js'),
  },
  { name: 'fleet status', summary: 'OTA state of every device of a fleet', load: () => import('./fleet.js') },
];
