/**
 * Band identity by meaning: the canonical band names the SDK speaks, how the names found in files
 * (GDAL band descriptions, STAC common names, Landsat and Sentinel-2 band codes, central wavelengths)
 * map to them, and which source bands feed a modality's model channels.
 */

/** Canonical band names (STAC common names where one exists, spelled out otherwise). */
export const CANONICAL_BANDS = [
  'coastal',
  'blue',
  'green-i',
  'green',
  'yellow',
  'red',
  'rededge',
  'rededge1',
  'rededge2',
  'rededge3',
  'nir',
  'nir-narrow',
  'water-vapour',
  'cirrus',
  'swir1',
  'swir2',
  'pan',
  'tir',
  'tir1',
  'tir2',
  'tir-low-gain',
  'tir-high-gain',
] as const;

/** A canonical band name. */
export type CanonicalBand = (typeof CANONICAL_BANDS)[number];

/**
 * The canonical bands a modality's model channels take, in channel order; each channel lists the
 * names that can fill it, best first (a Sentinel-2 20 m stack has only the narrow NIR band B8A).
 */
export const MODEL_CHANNEL_BANDS: Readonly<Record<string, readonly (readonly CanonicalBand[])[]>> = {
  multispectral: [['blue'], ['green'], ['red'], ['nir', 'nir-narrow']],
};

/** Band-code families: the same code means different bands on different sensors (TM B2 is green, OLI B2 blue). */
export type BandCodeFamily = 'landsat-tm' | 'landsat-etm' | 'landsat-oli' | 'sentinel2';

/** Band code → canonical band, per family. Codes are upper case without zero padding or product prefix. */
export const BAND_CODES: Readonly<Record<BandCodeFamily, Readonly<Record<string, CanonicalBand>>>> = {
  'landsat-tm': { B1: 'blue', B2: 'green', B3: 'red', B4: 'nir', B5: 'swir1', B6: 'tir', B7: 'swir2' },
  'landsat-etm': {
    B1: 'blue',
    B2: 'green',
    B3: 'red',
    B4: 'nir',
    B5: 'swir1',
    B61: 'tir-low-gain',
    B62: 'tir-high-gain',
    B6VCID1: 'tir-low-gain',
    B6VCID2: 'tir-high-gain',
    B7: 'swir2',
    B8: 'pan',
  },
  'landsat-oli': {
    B1: 'coastal',
    B2: 'blue',
    B3: 'green',
    B4: 'red',
    B5: 'nir',
    B6: 'swir1',
    B7: 'swir2',
    B8: 'pan',
    B9: 'cirrus',
    B10: 'tir1',
    B11: 'tir2',
  },
  sentinel2: {
    B1: 'coastal',
    B2: 'blue',
    B3: 'green',
    B4: 'red',
    B5: 'rededge1',
    B6: 'rededge2',
    B7: 'rededge3',
    B8: 'nir',
    B8A: 'nir-narrow',
    B9: 'water-vapour',
    B10: 'cirrus',
    B11: 'swir1',
    B12: 'swir2',
  },
};

/** Names people and tools write (STAC common names, Planet and GEE names, spelled out), normalised. */
const NAMES: Record<string, CanonicalBand> = {
  coastal: 'coastal',
  'coastal aerosol': 'coastal',
  'coastal blue': 'coastal',
  'ultra blue': 'coastal',
  aerosol: 'coastal',
  blue: 'blue',
  'green i': 'green-i',
  green: 'green',
  yellow: 'yellow',
  red: 'red',
  rededge: 'rededge',
  'red edge': 'rededge',
  rededge1: 'rededge1',
  'red edge 1': 'rededge1',
  rededge2: 'rededge2',
  'red edge 2': 'rededge2',
  rededge3: 'rededge3',
  'red edge 3': 'rededge3',
  nir: 'nir',
  nir08: 'nir',
  'near infrared': 'nir',
  'near ir': 'nir',
  'nir narrow': 'nir-narrow',
  'narrow nir': 'nir-narrow',
  nir09: 'water-vapour',
  'water vapour': 'water-vapour',
  'water vapor': 'water-vapour',
  cirrus: 'cirrus',
  swir1: 'swir1',
  'swir 1': 'swir1',
  swir16: 'swir1',
  swir2: 'swir2',
  'swir 2': 'swir2',
  swir22: 'swir2',
  pan: 'pan',
  panchromatic: 'pan',
  tir: 'tir',
  thermal: 'tir',
  'thermal infrared': 'tir',
  lwir: 'tir',
  tir1: 'tir1',
  lwir11: 'tir1',
  'thermal infrared 1': 'tir1',
  tir2: 'tir2',
  lwir12: 'tir2',
  'thermal infrared 2': 'tir2',
};

/** Central wavelengths (nm) of the bands, for descriptions that give one (GDAL's Sentinel-2 driver does). */
const WAVELENGTHS: [number, CanonicalBand][] = [
  [443, 'coastal'],
  [490, 'blue'],
  [560, 'green'],
  [665, 'red'],
  [705, 'rededge1'],
  [740, 'rededge2'],
  [783, 'rededge3'],
  [842, 'nir'],
  [865, 'nir-narrow'],
  [945, 'water-vapour'],
  [1375, 'cirrus'],
  [1610, 'swir1'],
  [2200, 'swir2'],
];

/** The band code in a description (`B4`, `B04`, `SR_B4`, `band 4`, `B8A`, `B6_VCID_1`), upper case and unpadded, or undefined. */
export function bandCode(description: string): string | undefined {
  const m =
    /^(?:(?:sr|toa|st|lt|le|lc)[ _])?(?:b|band)[ _]?0*(\d{1,2}a?)(?:[ _]?vcid[ _]?([12]))?(?:\s*[,;:(].*)?$/i.exec(
      description.trim(),
    );
  if (!m) return undefined;
  return `B${m[1]!.toUpperCase()}${m[2] ? `VCID${m[2]}` : ''}`;
}

/**
 * The canonical band a file's description names, or undefined when it does not say (empty, or a
 * band code without a family to read it in).
 * @param family how to read bare band codes; zero-padded codes (`B02`) and `B8A` are Sentinel-2's
 * @example
 * canonicalBand('Near Infrared'); // 'nir'
 * canonicalBand('B4, central wavelength 665 nm'); // 'red'
 * canonicalBand('SR_B5', 'landsat-oli'); // 'nir'
 */
export function canonicalBand(description: string, family?: BandCodeFamily): CanonicalBand | undefined {
  const text = description.trim().toLowerCase();
  if (!text) return undefined;
  const words = text
    .replace(/[_\-()]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const named = NAMES[words] ?? NAMES[words.replace(/ band$/, '')];
  if (named) return named;
  const nm = /(\d{3,5}(?:\.\d+)?)\s*nm/.exec(text);
  if (nm) {
    const w = Number(nm[1]);
    let best: [number, CanonicalBand] | undefined;
    for (const e of WAVELENGTHS) if (!best || Math.abs(e[0] - w) < Math.abs(best[0] - w)) best = e;
    if (best && Math.abs(best[0] - w) <= 25) return best[1];
  }
  const code = bandCode(description);
  if (!code) return undefined;
  const padded = /^\s*(?:\w+_)?b0\d/i.test(description) || code === 'B8A';
  const fam = family ?? (padded ? 'sentinel2' : undefined);
  return fam ? BAND_CODES[fam][code] : undefined;
}

/** True when two canonical bands can stand for each other as a model channel (NIR and narrow NIR). */
export function sameBand(a: string, b: string): boolean {
  const norm = (x: string) => (x === 'nir-narrow' ? 'nir' : x === 'tir1' ? 'tir' : x);
  return norm(a) === norm(b);
}

/**
 * 1-based source band numbers for a modality's model channels, chosen by meaning, or the channels no
 * source band can fill.
 * @example
 * selectByMeaning(['coastal', 'blue', 'green', 'red', 'nir', 'swir1', 'swir2'], 'multispectral'); // { bands: [2, 3, 4, 5] }
 */
export function selectByMeaning(
  sourceBands: readonly string[],
  modality: string,
): { bands: number[]; names: string[] } | { missing: string[] } {
  const channels = MODEL_CHANNEL_BANDS[modality];
  if (!channels) return { missing: [] };
  const bands: number[] = [];
  const names: string[] = [];
  const missing: string[] = [];
  for (const wanted of channels) {
    const name = wanted.find((w) => sourceBands.includes(w));
    if (name === undefined) missing.push(wanted.join(' or '));
    else {
      bands.push(sourceBands.indexOf(name) + 1);
      names.push(name);
    }
  }
  return missing.length ? { missing } : { bands, names };
}
