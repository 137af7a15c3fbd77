/**
 * labelAreas counts label runs instead of pixels: the counts and areas (pixels, a projected CRS's
 * constant pixel area, a geographic CRS's area per row) equal counting pixel by pixel, including
 * values at or above the class count (no data), more classes than a byte holds, and one-pixel maps.
 */
import test from 'ava';
import { pixelAreaM2, type GeoReference } from '../../../sdk/sensors/geometry/georef.js';
import { labelAreas } from '../../../sdk/tasks/areas.js';
import { Rng } from '../../../tools/frames/seeded.js';
import { referenceLabelAreas } from './fixtures/reference-postprocess.js';

const UTM: GeoReference = {
  transform: [500000, 10.3, 0, 4000000, 0, -10.7],
  crsKind: 'projected',
  epsg: 32633,
  unit: 'metre',
  metresPerUnit: 1,
};
const WGS84: GeoReference = {
  transform: [-10, 0.013, 0, 60, 0, -0.011],
  crsKind: 'geographic',
  epsg: 4326,
  unit: 'degree',
};

/** A map of runs of random length (1 to `longest`) and random value below `values`. */
function runsMap(n: number, values: number, longest: number, rng: Rng, wide: boolean): Uint8Array | Uint16Array {
  const map = wide ? new Uint16Array(n) : new Uint8Array(n);
  for (let i = 0; i < n;) {
    const v = Math.floor(rng.uniform() * values);
    const end = Math.min(n, i + 1 + Math.floor(rng.uniform() * longest));
    map.fill(v, i, end);
    i = end;
  }
  return map;
}

test('labelAreas equals counting pixel by pixel (runs, noise, no-data values, wide maps, georeferences)', (t) => {
  const rng = new Rng(5, 'label-areas');
  const cases: [string, number, number, number, Uint8Array | Uint16Array][] = [
    [
      'runs 640×480, 8 classes, no data 255',
      640,
      480,
      8,
      runsMap(640 * 480, 9, 80, rng, false).map((v) => (v === 8 ? 255 : v)),
    ],
    ['noise 37×23', 37, 23, 5, runsMap(37 * 23, 7, 1, rng, false)],
    ['one pixel', 1, 1, 3, Uint8Array.of(2)],
    ['one column', 1, 50, 4, runsMap(50, 5, 3, rng, false)],
    [
      '300 classes in a Uint16Array, no data 65535',
      97,
      41,
      300,
      runsMap(97 * 41, 301, 20, rng, true).map((v) => (v === 300 ? 65535 : v)),
    ],
    ['300 classes counted on a byte map', 64, 16, 300, runsMap(64 * 16, 256, 10, rng, false)],
  ];
  for (const [name, w, h, k, map] of cases) {
    for (const [g, rowArea] of [
      [undefined, () => 1],
      [UTM, () => pixelAreaM2(UTM)!],
      [WGS84, (y: number) => pixelAreaM2(WGS84, y, w / 2)!],
    ] as [GeoReference | undefined, (y: number) => number][]) {
      t.deepEqual(
        labelAreas(map, w, h, k, g),
        referenceLabelAreas(map, w, h, k, rowArea),
        `${name}, ${g?.crsKind ?? 'pixels'}`,
      );
    }
  }
});
