/**
 * The sensor flags every frame-reading command takes: `--sensor <preset | file.json>`, `--bands <list>`
 * (1-based source band numbers of the model's channels, e.g. blue, green, red, NIR), and `--scale` /
 * `--offset` (physical = DN · scale + offset, e.g. `--scale 1/257` for 16-bit optical frames or
 * `--scale 0.0000275 --offset -0.2` for Landsat Collection-2 surface reflectance). Parsed once at the
 * edge into a {@link SensorFlags}; `sensorFor` gives each frame its SDK sensor configuration.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import { invalidOption } from '../../sdk/internal.js';
import { multispectralPresets, SENSOR_PRESETS } from '../../sdk/internal.js';
import { checkSensorConfig, type SensorConfig } from '../../sdk/internal.js';

/** Parsed sensor flags. */
export interface SensorFlags {
  /** The preset or the configuration read from a file. */
  sensor?: SensorConfig;
  /** True when `--sensor` named a preset (frames then carry its id). */
  preset?: boolean;
  bands?: number[];
  scale?: number[];
  offset?: number[];
}

/** Adds the sensor flags to a command. */
export function addSensorOptions(cmd: Command, what = 'the frames'): Command {
  return cmd
    .option(
      '--sensor <preset|file.json>',
      `sensor of ${what}: a preset (${multispectralPresets().slice(0, 6).join(', ')}, …; see docs/sensors.md) or a sensor configuration JSON file`,
    )
    .option(
      '--bands <list>',
      'source band numbers (1-based) of the model channels in order, e.g. 2,3,4,5 for blue, green, red, NIR of a Landsat-8 stack',
    )
    .option(
      '--scale <list>',
      'physical = DN · scale + offset, one value or one per selected band; fractions allowed (1/257 maps 16-bit to 8-bit)',
    )
    .option('--offset <list>', 'offset of that mapping, one value or one per selected band');
}

function numbers(flag: string, text: unknown, check: (x: number) => boolean, what: string): number[] {
  if (typeof text !== 'string' || !text.trim()) throw invalidOption(flag, what, text);
  return text.split(',').map((part) => {
    const p = part.trim();
    const frac = /^(-?[\d.eE+-]+)\/([\d.eE+-]+)$/.exec(p);
    const v = frac ? Number(frac[1]) / Number(frac[2]) : p === '' ? NaN : Number(p);
    if (!Number.isFinite(v) || !check(v)) throw invalidOption(flag, what, text);
    return v;
  });
}

/**
 * Reads the sensor flags of a command's options; undefined when none is given.
 * @throws EdgeError E_INVALID_ARGUMENT naming the flag (unknown preset, unreadable or invalid file, bad numbers)
 */
export async function readSensorFlags(o: Record<string, unknown>): Promise<SensorFlags | undefined> {
  const flags: SensorFlags = {};
  if (o.sensor !== undefined) {
    const name = String(o.sensor);
    const preset = SENSOR_PRESETS[name];
    if (preset) {
      flags.sensor = preset;
      flags.preset = true;
    } else if (/\.json$/i.test(name)) {
      let value: unknown;
      try {
        value = JSON.parse(await readFile(name, 'utf8'));
      } catch (err) {
        throw new EdgeError(
          'E_INVALID_ARGUMENT',
          `--sensor ${name}: cannot read a sensor configuration: ${messageOf(err)}`,
          { field: '--sensor', file: name, cause: err },
        );
      }
      flags.sensor = asFlagError(() => checkSensorConfig(value, { id: name, file: name }), name);
    } else {
      throw invalidOption(
        '--sensor',
        `a sensor preset (${Object.keys(SENSOR_PRESETS).join(', ')}) or a .json sensor configuration file`,
        name,
      );
    }
  }
  if (o.bands !== undefined)
    flags.bands = numbers(
      '--bands',
      o.bands,
      (x) => Number.isInteger(x) && x >= 1 && x <= 64,
      '1-based band numbers separated by commas (e.g. 2,3,4,5)',
    );
  if (o.scale !== undefined)
    flags.scale = numbers(
      '--scale',
      o.scale,
      (x) => x !== 0,
      'non-zero numbers or fractions separated by commas (e.g. 1/257)',
    );
  if (o.offset !== undefined) flags.offset = numbers('--offset', o.offset, () => true, 'numbers separated by commas');
  return Object.keys(flags).length ? flags : undefined;
}

function asFlagError<T>(fn: () => T, what: string): T {
  try {
    return fn();
  } catch (err) {
    const e = err as EdgeError;
    throw new EdgeError('E_INVALID_ARGUMENT', `${what}: ${e.message.replace(/^frame "[^"]*": /, '')}`, {
      field: '--sensor',
      cause: err,
    });
  }
}

/** The modality the flags' sensor feeds, if they name one. */
export function sensorModality(flags: SensorFlags | undefined): string | undefined {
  return flags?.sensor?.modality;
}

/**
 * The sensor a frame of `modality` gets from the flags: the preset id or configuration, with
 * `--bands`, `--scale` and `--offset` applied. A sensor of another modality does not apply to the
 * frame unless `strict` (then the frame is refused with the SDK's modality mismatch error).
 * @throws EdgeError E_INVALID_ARGUMENT when the combination is not a valid configuration for the modality
 */
export function sensorFor(
  flags: SensorFlags | undefined,
  modality: string,
  strict = false,
): string | SensorConfig | undefined {
  if (!flags) return undefined;
  if (flags.sensor && !strict && flags.sensor.modality !== modality) return undefined;
  if (flags.sensor && flags.bands === undefined && flags.scale === undefined && flags.offset === undefined)
    return flags.preset ? flags.sensor.id : flags.sensor;
  const base: SensorConfig = flags.sensor ?? { id: 'cli', modality };
  const config: SensorConfig = { ...base };
  const parts = [base.id];
  if (flags.bands) {
    config.bands = flags.bands;
    // Names come again from the layout (or default to the model channels) for the new selection.
    delete config.bandNames;
    parts.push(`bands ${flags.bands.join(',')}`);
  }
  if (flags.scale) config.scale = flags.scale.length === 1 ? flags.scale[0]! : flags.scale;
  if (flags.offset) config.offset = flags.offset.length === 1 ? flags.offset[0]! : flags.offset;
  if (flags.scale || flags.offset) parts.push('scaled');
  config.id = parts.join('+').replace(/ /g, '-');
  return asFlagError(() => checkSensorConfig(config, { id: config.id }), '--sensor/--bands/--scale/--offset');
}
