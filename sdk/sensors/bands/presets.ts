/**
 * Sensor presets shipped with the SDK. Each is a plain {@link SensorConfig}; callers can copy one and
 * change fields (e.g. add the scene's reflectance scaling from `landsatScalingFromMtl`).
 *
 * A multispectral preset names every band of the stack it reads (`sourceBands`, in file order); the
 * bands that feed the model's blue, green, red and NIR channels are chosen from those names, never by
 * position (an OLI stack starts with coastal aerosol, a TM stack's sixth band is thermal).
 */
import { selectByMeaning, type BandCodeFamily, type CanonicalBand } from './band-names.js';
import type { SensorConfig } from './sensor-config.js';

interface Layout {
  ids: string[];
  family?: BandCodeFamily;
  description: string;
  /** Canonical name of each source band, in file order. */
  sourceBands: CanonicalBand[];
}

const TM: CanonicalBand[] = ['blue', 'green', 'red', 'nir', 'swir1', 'tir', 'swir2'];
const TM_REFLECTIVE: CanonicalBand[] = ['blue', 'green', 'red', 'nir', 'swir1', 'swir2'];
const OLI: CanonicalBand[] = ['coastal', 'blue', 'green', 'red', 'nir', 'swir1', 'swir2'];
const S2: CanonicalBand[] = [
  'coastal',
  'blue',
  'green',
  'red',
  'rededge1',
  'rededge2',
  'rededge3',
  'nir',
  'nir-narrow',
  'water-vapour',
  'cirrus',
  'swir1',
  'swir2',
];

/** Multispectral stacks people download and fly, with the band layout of each. */
const LAYOUTS: Layout[] = [
  {
    ids: ['landsat4-tm', 'landsat5-tm'],
    family: 'landsat-tm',
    description: 'Landsat-4/5 TM layer stack of bands 1-7 (band 6 thermal)',
    sourceBands: TM,
  },
  {
    ids: ['landsat4-tm-reflective', 'landsat5-tm-reflective'],
    family: 'landsat-tm',
    description: 'Landsat-4/5 TM reflective stack of bands 1-5 and 7 (no thermal)',
    sourceBands: TM_REFLECTIVE,
  },
  {
    ids: ['landsat7-etm'],
    family: 'landsat-etm',
    description: 'Landsat-7 ETM+ reflective stack of bands 1-5 and 7 (6 bands)',
    sourceBands: TM_REFLECTIVE,
  },
  {
    ids: ['landsat7-etm-8band'],
    family: 'landsat-etm',
    description: 'Landsat-7 ETM+ stack of bands 1-5, 6 low gain (6.1), 6 high gain (6.2) and 7',
    sourceBands: ['blue', 'green', 'red', 'nir', 'swir1', 'tir-low-gain', 'tir-high-gain', 'swir2'],
  },
  {
    ids: ['landsat8-oli', 'landsat9-oli'],
    family: 'landsat-oli',
    description: 'Landsat-8/9 OLI stack of bands 1-7 (coastal aerosol first; Collection-2 Level-2 SR_B1-7)',
    sourceBands: OLI,
  },
  {
    ids: ['landsat8-oli-cirrus', 'landsat9-oli-cirrus'],
    family: 'landsat-oli',
    description: 'Landsat-8/9 OLI stack of bands 1-7 and 9 (cirrus), no panchromatic band',
    sourceBands: [...OLI, 'cirrus'],
  },
  {
    ids: ['landsat8-oli-tirs', 'landsat9-oli-tirs'],
    family: 'landsat-oli',
    description: 'Landsat-8/9 OLI/TIRS stack of bands 1-7 and 9-11 (no panchromatic band; 9 cirrus, 10-11 thermal)',
    sourceBands: [...OLI, 'cirrus', 'tir1', 'tir2'],
  },
  {
    ids: ['landsat8-oli-tirs-pan', 'landsat9-oli-tirs-pan'],
    family: 'landsat-oli',
    description: 'Landsat-8/9 OLI/TIRS stack of bands 1-11 (8 panchromatic resampled to 30 m)',
    sourceBands: [...OLI, 'pan', 'cirrus', 'tir1', 'tir2'],
  },
  {
    ids: ['sentinel2-l1c'],
    family: 'sentinel2',
    description: 'Sentinel-2 MSI Level-1C, all 13 bands B01-B12 with B8A, resampled to one grid',
    sourceBands: S2,
  },
  {
    ids: ['sentinel2-l2a'],
    family: 'sentinel2',
    description: 'Sentinel-2 MSI Level-2A, 12 bands (B01-B12 with B8A, no B10 cirrus), resampled to one grid',
    sourceBands: S2.filter((b) => b !== 'cirrus'),
  },
  {
    ids: ['sentinel2-10m'],
    family: 'sentinel2',
    description: 'Sentinel-2 MSI 10 m bands B02, B03, B04, B08',
    sourceBands: ['blue', 'green', 'red', 'nir'],
  },
  {
    ids: ['sentinel2-20m'],
    family: 'sentinel2',
    description: 'Sentinel-2 MSI 20 m stack B02, B03, B04, B05, B06, B07, B8A, B11, B12 (NIR is B8A)',
    sourceBands: ['blue', 'green', 'red', 'rededge1', 'rededge2', 'rededge3', 'nir-narrow', 'swir1', 'swir2'],
  },
  {
    ids: ['sentinel2-10m-20m'],
    family: 'sentinel2',
    description:
      'Sentinel-2 MSI 10 m and 20 m bands at one resolution: B02, B03, B04, B05, B06, B07, B08, B8A, B11, B12',
    sourceBands: ['blue', 'green', 'red', 'rededge1', 'rededge2', 'rededge3', 'nir', 'nir-narrow', 'swir1', 'swir2'],
  },
  {
    ids: ['planetscope-4band'],
    description: 'PlanetScope 4-band analytic (blue, green, red, NIR)',
    sourceBands: ['blue', 'green', 'red', 'nir'],
  },
  {
    ids: ['planetscope-8band'],
    description:
      'PlanetScope SuperDove 8-band (coastal blue, blue, green I, green, yellow, red, red edge, NIR; green is band 4)',
    sourceBands: ['coastal', 'blue', 'green-i', 'green', 'yellow', 'red', 'rededge', 'nir'],
  },
  {
    ids: ['bgrn'],
    description: 'Generic 4-band blue, green, red, NIR stack',
    sourceBands: ['blue', 'green', 'red', 'nir'],
  },
];

/** Band-code family of each multispectral preset (how `B2` in a file's band description is read). */
export const PRESET_FAMILY: Readonly<Record<string, BandCodeFamily>> = Object.freeze(
  Object.fromEntries(LAYOUTS.flatMap((l) => (l.family ? l.ids.map((id) => [id, l.family!]) : []))),
);

function multispectral(l: Layout, id: string): SensorConfig {
  const chosen = selectByMeaning(l.sourceBands, 'multispectral');
  if ('missing' in chosen) throw new Error(`preset ${id} lacks ${chosen.missing.join(', ')}`);
  const picked = chosen.bands.map((b) => `${b}`).join(', ');
  return {
    id,
    description: `${l.description}; feeds B, G, R, NIR = stack bands ${picked}`,
    modality: 'multispectral',
    bands: chosen.bands,
    bandNames: chosen.names,
    sourceBands: [...l.sourceBands],
    expectedBands: l.sourceBands.length,
    noDataLimit: 0.15,
  };
}

/** Built-in sensor presets, by id. */
export const SENSOR_PRESETS: Readonly<Record<string, SensorConfig>> = Object.freeze({
  ...Object.fromEntries(LAYOUTS.flatMap((l) => l.ids.map((id) => [id, multispectral(l, id)]))),
  'rgb-camera': {
    id: 'rgb-camera',
    description: 'Generic 8-bit RGB camera (JPEG/PNG/WebP or raw), bands R, G, B',
    modality: 'optical',
    bands: [1, 2, 3],
    bandNames: ['red', 'green', 'blue'],
    noDataLimit: 0.15,
  },
  'sar-l2-amplitude': {
    id: 'sar-l2-amplitude',
    description: 'Generic detected SAR product (GRD/MGD), one amplitude band; 0 marks no data',
    modality: 'sar-l2',
    bands: [1],
    bandNames: ['amplitude'],
    noData: 0,
    noDataLimit: 0.15,
    sarL2Quantity: 'amplitude',
  },
  'quadpol-slc': {
    id: 'quadpol-slc',
    description:
      'Quad-pol single-look complex product, complex bands HH, HV, VH, VV (calibrated, linear); 0+0j marks no data',
    modality: 'sar-l1',
    bands: [1, 2, 3, 4],
    bandNames: ['HH', 'HV', 'VH', 'VV'],
    noData: 0,
    noDataLimit: 0.15,
  },
});

/** Ids of the multispectral presets whose stack has `count` bands (all of them without a count). */
export function multispectralPresets(count?: number): string[] {
  return Object.values(SENSOR_PRESETS)
    .filter((p) => p.modality === 'multispectral' && (count === undefined || p.expectedBands === count))
    .map((p) => p.id);
}
