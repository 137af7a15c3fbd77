/**
 * Reads a {@link GeoReference} from GeoTIFF tags: ModelTransformation, or ModelTiepoint +
 * ModelPixelScale, corrected to the pixel-corner convention when the raster is PixelIsPoint (as GDAL
 * does), plus the CRS from the GeoKey directory: an EPSG code is resolved through the EPSG registry
 * (its unit is the CRS's own, key or no key), a user-defined CRS is turned into a PROJ definition
 * from its projection, parameter and datum keys.
 */
import { epsgIndexRegistry, resolveCrs, type EpsgRegistry } from './crs.js';
import { projFromGeoKeys } from './geokeys-proj.js';
import type { GeoReference, GeoTransform } from './georef.js';

/** The parts of a geotiff.js image this reader needs. */
export interface GeoTiffTagSource {
  getFileDirectory(): TagLoader;
  getGeoKeys(): Record<string, unknown> | null;
}

/** Asynchronous access to a TIFF tag (geotiff.js loads large tags lazily). */
export interface TagLoader {
  loadValue(tag: string): Promise<unknown>;
}

/** GeoTIFF linear unit codes → name and metres per unit. */
const LINEAR_UNITS: Record<number, { name: string; metres: number }> = {
  9001: { name: 'metre', metres: 1 },
  9002: { name: 'foot', metres: 0.3048 },
  9003: { name: 'us-survey-foot', metres: 1200 / 3937 },
  9036: { name: 'kilometre', metres: 1000 },
};

const USER_DEFINED = 32767;

function numbers(v: unknown): number[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, Number);
  if (Array.isArray(v)) return v.map(Number);
  return undefined;
}

/** The affine transform from the tags, or undefined when the file has none (or only GCPs). */
export async function transformFromTags(tags: TagLoader): Promise<GeoTransform | undefined> {
  const m = numbers(await tags.loadValue('ModelTransformation'));
  if (m && m.length >= 16) return [m[3]!, m[0]!, m[1]!, m[7]!, m[4]!, m[5]!];
  const tie = numbers(await tags.loadValue('ModelTiepoint'));
  const scale = numbers(await tags.loadValue('ModelPixelScale'));
  // Several tiepoints without a scale are ground control points: no affine transform to read.
  if (!tie || tie.length < 6 || !scale || scale.length < 2) return undefined;
  const [i, j, , x, y] = tie as [number, number, number, number, number];
  const [sx, sy] = scale as [number, number];
  return [x - i * sx, sx, 0, y + j * sy, 0, -sy];
}

/**
 * The georeference of a GeoTIFF image, or undefined when it has none.
 * @param warn receives one line per tag that could not be used
 * @param registry EPSG definitions (default: the `epsg-index` package, one code read per CRS)
 */
export async function georefFromGeoTiff(
  image: GeoTiffTagSource,
  warn: (msg: string) => void = () => {},
  registry: EpsgRegistry = epsgIndexRegistry,
): Promise<GeoReference | undefined> {
  let t: GeoTransform | undefined;
  try {
    t = await transformFromTags(image.getFileDirectory());
  } catch (err) {
    warn(`geotransform tags unreadable: ${(err as Error).message}`);
    return undefined;
  }
  if (!t || !t.every(Number.isFinite) || t[1] * t[5] - t[2] * t[4] === 0) return undefined;
  let keys: Record<string, unknown> = {};
  try {
    keys = image.getGeoKeys() ?? {};
  } catch (err) {
    warn(`GeoKey directory unreadable: ${(err as Error).message}`);
  }
  if (keys.GTRasterTypeGeoKey === 2) {
    // PixelIsPoint: the tiepoint names the centre of the first pixel; move it to the corner.
    t = [t[0] - 0.5 * t[1] - 0.5 * t[2], t[1], t[2], t[3] - 0.5 * t[4] - 0.5 * t[5], t[4], t[5]];
  }
  const model = keys.GTModelTypeGeoKey;
  const g: GeoReference = { transform: t, crsKind: model === 1 ? 'projected' : model === 2 ? 'geographic' : 'unknown' };
  const projected = keys.ProjectedCSTypeGeoKey;
  const geographic = keys.GeographicTypeGeoKey;
  if (g.crsKind === 'projected' && typeof projected === 'number' && projected > 0 && projected !== USER_DEFINED)
    g.epsg = projected;
  if (g.crsKind === 'geographic' && typeof geographic === 'number' && geographic > 0 && geographic !== USER_DEFINED)
    g.epsg = geographic;
  if (g.crsKind === 'projected') {
    const code = typeof keys.ProjLinearUnitsGeoKey === 'number' ? keys.ProjLinearUnitsGeoKey : undefined;
    const unit = code !== undefined ? LINEAR_UNITS[code] : undefined;
    if (unit) {
      g.unit = unit.name;
      g.metresPerUnit = unit.metres;
    } else if (typeof keys.ProjLinearUnitSizeGeoKey === 'number' && keys.ProjLinearUnitSizeGeoKey > 0) {
      g.unit = 'user-defined';
      g.metresPerUnit = keys.ProjLinearUnitSizeGeoKey;
    } else if (code !== undefined) {
      g.unit = String(code);
    }
    // Without a unit key the unit of an EPSG CRS comes from its definition (resolveCrs below).
  } else if (g.crsKind === 'geographic') {
    g.unit =
      keys.GeogAngularUnitsGeoKey === undefined || keys.GeogAngularUnitsGeoKey === 9102
        ? 'degree'
        : String(keys.GeogAngularUnitsGeoKey);
  }
  const citation = keys.GTCitationGeoKey ?? keys.GeogCitationGeoKey;
  if (typeof citation === 'string' && citation.length > 0) g.citation = citation.replace(/\|+$/, '');
  if (g.epsg === undefined && g.crsKind !== 'unknown') {
    const def = await projFromGeoKeys(keys, g.crsKind, g.metresPerUnit, registry);
    if (def !== undefined) g.proj4 = def;
    else
      warn(
        `user-defined ${g.crsKind} CRS${g.citation ? ` "${g.citation}"` : ''}: its GeoKeys name no projection this reader knows, so results have no WGS 84 coordinates`,
      );
  }
  return resolveCrs(g, warn, registry);
}
