/**
 * Product metadata beside a frame file that says which sensor made it: a Landsat Level-1/Level-2
 * `*_MTL.txt` (SPACECRAFT_ID, SENSOR_ID) or a Sentinel-2 `MTD_MSIL1C.xml` / `MTD_MSIL2A.xml`. Looked
 * for in the file's folder and the folders directly under it (archives often keep the per-band files
 * and the MTL in a `bands/` folder beside the stack). Read only when a multispectral frame's band
 * meaning is not given otherwise; the reader is injectable for tests.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { BandCodeFamily } from './band-names.js';
import { parseLandsatMtl } from '../radiometry/landsat-mtl.js';

/** What a metadata file says about the sensor. */
export interface SensorMetadata {
  /** The metadata file. */
  file: string;
  family: BandCodeFamily;
  /** Preset id prefix of the platform (`landsat5`, `landsat8`, `sentinel2`). */
  platform: string;
  /** Sentinel-2 processing level (`L1C`, `L2A`). */
  level?: string;
  /** One line for messages, e.g. `LANDSAT_5 TM (LT05_..._MTL.txt)`. */
  summary: string;
}

/** File-system access the lookup needs (defaults to node:fs). */
export interface MetadataFs {
  readdir(dir: string): Promise<{ name: string; isDirectory(): boolean; isFile(): boolean }[]>;
  readFile(file: string): Promise<string>;
}

const nodeFs: MetadataFs = {
  readdir: (dir) => readdir(dir, { withFileTypes: true }),
  readFile: (file) => readFile(file, 'utf8'),
};

const MTL = /_MTL\.txt$/i;
const S2_MTD = /^MTD_MSIL(1C|2A)\.xml$/i;

/** Reads one metadata file; undefined when it names no sensor this SDK has presets for. */
export function readSensorMetadata(file: string, text: string): SensorMetadata | undefined {
  const name = basename(file);
  const s2 = S2_MTD.exec(name);
  if (s2) {
    const craft = /<SPACECRAFT_NAME>([^<]*)<\/SPACECRAFT_NAME>/.exec(text)?.[1] ?? 'Sentinel-2';
    return {
      file,
      family: 'sentinel2',
      platform: 'sentinel2',
      level: `L${s2[1]!.toUpperCase()}`,
      summary: `${craft} MSI L${s2[1]!.toUpperCase()} (${name})`,
    };
  }
  if (!MTL.test(name)) return undefined;
  const kv = parseLandsatMtl(text);
  const craft = /^LANDSAT_(\d)$/.exec(kv.SPACECRAFT_ID ?? '')?.[1];
  const sensor = (kv.SENSOR_ID ?? '').toUpperCase();
  const family: BandCodeFamily | undefined =
    sensor === 'TM'
      ? 'landsat-tm'
      : sensor === 'ETM'
        ? 'landsat-etm'
        : sensor.startsWith('OLI')
          ? 'landsat-oli'
          : undefined;
  if (!craft || !family) return undefined;
  return { file, family, platform: `landsat${craft}`, summary: `${kv.SPACECRAFT_ID} ${sensor} (${name})` };
}

/**
 * The sensor metadata beside `framePath`, or undefined when there is none. Several metadata files
 * are used only when exactly one shares the frame file's product id prefix (e.g. `LC08_L1TP_…`);
 * otherwise the result says they were ambiguous.
 */
export async function findSensorMetadata(
  framePath: string,
  fs: MetadataFs = nodeFs,
): Promise<SensorMetadata | { ambiguous: string[] } | undefined> {
  const dir = dirname(framePath);
  const found: string[] = [];
  const scan = async (d: string, deeper: boolean) => {
    let entries: Awaited<ReturnType<MetadataFs['readdir']>>;
    try {
      entries = await fs.readdir(d);
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isFile() && (MTL.test(e.name) || S2_MTD.test(e.name))) found.push(join(d, e.name));
      else if (deeper && e.isDirectory()) await scan(join(d, e.name), false);
    }
  };
  await scan(dir, true);
  const read: SensorMetadata[] = [];
  for (const f of found.sort()) {
    const text = await fs.readFile(f).catch(() => undefined);
    const m = text === undefined ? undefined : readSensorMetadata(f, text);
    if (m) read.push(m);
  }
  if (read.length <= 1) return read[0];
  const stem = basename(framePath).split(/[_.]/).slice(0, 4).join('_');
  const same = read.filter((m) => basename(m.file).startsWith(stem));
  if (same.length === 1) return same[0];
  const kinds = new Set(read.map((m) => `${m.platform}/${m.family}/${m.level ?? ''}`));
  return kinds.size === 1 ? read[0] : { ambiguous: read.map((m) => m.file) };
}
