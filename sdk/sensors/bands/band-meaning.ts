/**
 * Which source bands feed the model, by meaning. For multispectral frames (model channels blue,
 * green, red, NIR) the answer comes from, in order: band numbers the caller gave; the sensor preset's
 * band layout; the file's own band descriptions (GDAL); product metadata beside the file (Landsat
 * MTL, Sentinel-2 MTD). A 4-band frame with none of these is read as blue, green, red, NIR (the
 * generic `bgrn` layout, noted in the warnings); any other frame is refused — never guessed by
 * position. A preset whose layout contradicts the file's band descriptions is refused too.
 */
import { canonicalBand, sameBand, selectByMeaning, type BandCodeFamily } from './band-names.js';
import { frameError, type FrameRef } from '../frame.js';
import { multispectralPresets, PRESET_FAMILY, SENSOR_PRESETS } from './presets.js';
import type { SensorConfig } from './sensor-config.js';
import type { SensorMetadata } from './sensor-metadata.js';

/** What is known about a decoded frame's bands. */
export interface BandEvidence {
  /** Bands in the source. */
  count: number;
  /** Per band, the file's description ('' when none). */
  descriptions?: readonly string[];
  /** Sensor metadata found beside the file, if it was looked for. */
  metadata?: SensorMetadata | { ambiguous: string[] };
}

/** A sensor configuration whose `bands` and `bandNames` are settled, with notes for the frame's warnings. */
export interface BandChoice {
  config: SensorConfig;
  warnings: string[];
}

/** True when the configuration leaves multispectral band meaning to the file (so metadata may be read). */
export function needsBandEvidence(config: SensorConfig): boolean {
  return config.modality === 'multispectral' && config.bands === undefined && config.sourceBands === undefined;
}

/** Canonical names the file's descriptions give, per band (undefined where it does not say). */
function fileBands(evidence: BandEvidence, family: BandCodeFamily | undefined): (string | undefined)[] | undefined {
  const d = evidence.descriptions;
  if (!d || d.length !== evidence.count || d.every((x) => !x.trim())) return undefined;
  const names = d.map((x) => canonicalBand(x, family));
  return names.some((n) => n !== undefined) ? names : undefined;
}

function howToSay(count: number): string {
  const fitting = multispectralPresets(count);
  const presets = fitting.length ? `presets with ${count} bands: ${fitting.join(', ')}; ` : '';
  return (
    `give the sensor (CLI --sensor <preset|file.json>; SDK frame.sensor) — ${presets}all multispectral presets: ${multispectralPresets().join(', ')} — ` +
    'or the 1-based band numbers of blue, green, red and NIR in that order (CLI --bands 2,3,4,5; SDK sensor: { id, modality: "multispectral", bands: [2, 3, 4, 5] })'
  );
}

/**
 * Settles which source bands feed a frame's model channels.
 * @throws EdgeError E_FRAME_INVALID when a multispectral frame's band meaning is unknown and it does not
 *   have 4 bands, when the known bands lack blue, green, red or NIR, or when a preset contradicts the file
 */
export function chooseModelBands(config: SensorConfig, evidence: BandEvidence, ref: FrameRef): BandChoice {
  if (config.modality !== 'multispectral') return { config, warnings: [] };
  const n = evidence.count;
  const meta = evidence.metadata && 'family' in evidence.metadata ? evidence.metadata : undefined;
  // A preset tuned by the CLI keeps its family: `landsat8-oli-tirs+bands-5,4,3,2`.
  const family = PRESET_FAMILY[config.id.split('+')[0]!] ?? meta?.family;
  const fromFile = fileBands(evidence, family);
  const warnings: string[] = [];
  const ambiguous =
    evidence.metadata && 'ambiguous' in evidence.metadata
      ? `; several sensor metadata files beside it disagree (${evidence.metadata.ambiguous.join(', ')})`
      : '';

  if (config.sourceBands) {
    if (config.sourceBands.length !== n) {
      throw frameError(
        'E_FRAME_INVALID',
        ref,
        `sensor ${config.id} reads a ${config.sourceBands.length}-band stack (${config.sourceBands.join(', ')}) but the frame has ${n} bands`,
        { field: 'frame.pixels', hint: howToSay(n) },
      );
    }
    if (fromFile) {
      const clash = fromFile.findIndex((f, i) => f !== undefined && !sameBand(f, config.sourceBands![i]!));
      if (clash >= 0) {
        throw frameError(
          'E_FRAME_INVALID',
          ref,
          `sensor ${config.id} says band ${clash + 1} is ${config.sourceBands[clash]} but the file describes it as ${JSON.stringify(evidence.descriptions![clash])} (${fromFile[clash]})`,
          { field: 'frame.sensor', hint: howToSay(n) },
        );
      }
    }
  }
  const known = config.sourceBands ?? fromFile;
  if (config.bands) {
    const names =
      config.bandNames ??
      (known && config.bands.every((b) => known[b - 1] !== undefined)
        ? config.bands.map((b) => known[b - 1]!)
        : undefined);
    return { config: names ? { ...config, bandNames: names } : config, warnings };
  }
  if (known) {
    const chosen = selectByMeaning(
      known.map((k) => k ?? ''),
      'multispectral',
    );
    const where = config.sourceBands ? `sensor ${config.id}` : "the file's band descriptions";
    if ('missing' in chosen) {
      throw frameError(
        'E_FRAME_INVALID',
        ref,
        `multispectral input is blue, green, red, NIR but ${where} name the bands ${known.map((k, i) => `${i + 1}=${k ?? '?'}`).join(' ')}: no ${chosen.missing.join(', no ')}`,
        { field: 'frame.pixels', hint: howToSay(n) },
      );
    }
    const twice = chosen.names.find((name) => known.filter((k) => k === name).length > 1);
    if (twice)
      throw frameError(
        'E_FRAME_INVALID',
        ref,
        `${where} name more than one band ${twice}; which one feeds the model is not clear`,
        { field: 'frame.pixels', hint: howToSay(n) },
      );
    return {
      config: {
        ...config,
        bands: chosen.bands,
        bandNames: chosen.names,
        ...(fromFile && !config.sourceBands ? { sourceBands: known.map((k) => k ?? '') } : {}),
      },
      warnings,
    };
  }
  if (meta) {
    const fitting = multispectralPresets(n).filter(
      (id) => PRESET_FAMILY[id] === meta.family && id.startsWith(meta.platform),
    );
    const byLevel = meta.level ? fitting.filter((id) => id.includes(meta.level!.toLowerCase())) : [];
    const pick = byLevel.length === 1 ? byLevel : fitting;
    if (pick.length === 1) {
      const preset = SENSOR_PRESETS[pick[0]!]!;
      return {
        config: { ...preset, ...pickOwn(config), id: preset.id },
        warnings: [...warnings, `bands chosen by the ${meta.summary} metadata beside the frame: preset ${preset.id}`],
      };
    }
    throw frameError(
      'E_FRAME_INVALID',
      ref,
      `the metadata beside the frame says ${meta.summary}, but ${pick.length ? `several presets fit ${n} bands (${pick.join(', ')})` : `no preset of that sensor has ${n} bands`}; which band is which is not known`,
      { field: 'frame.sensor', hint: howToSay(n) },
    );
  }
  if (n === 4) {
    return {
      config: { ...config, bands: [1, 2, 3, 4], bandNames: ['blue', 'green', 'red', 'nir'] },
      warnings: [
        `band meaning not given: the 4 bands are read as blue, green, red, NIR (generic bgrn layout)${ambiguous}`,
      ],
    };
  }
  throw frameError(
    'E_FRAME_INVALID',
    ref,
    `multispectral input is blue, green, red, NIR, but which of the frame's ${n} bands is which is not known (no sensor, no band numbers, no band descriptions in the file, no Landsat MTL or Sentinel-2 metadata beside it${ambiguous}); refusing to guess by position`,
    { field: 'frame.sensor', hint: howToSay(n) },
  );
}

/** A caller's own scaling and no-data settings, kept when a preset is chosen for it. */
function pickOwn(config: SensorConfig): Partial<SensorConfig> {
  const out: Partial<SensorConfig> = {};
  for (const k of ['scale', 'offset', 'noData', 'noDataLimit'] as const)
    if (config[k] !== undefined) (out as Record<string, unknown>)[k] = config[k];
  return out;
}
