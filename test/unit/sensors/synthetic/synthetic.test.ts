import test from 'ava';
import { createHash } from 'node:crypto';
import { encodeGeoTiff } from '../../../../sdk/sensors/codecs/geotiff-encode.js';
import { createRng } from '../../../../sdk/sensors/synthetic/rng.js';
import { generateObjectScene } from '../../../../sdk/sensors/synthetic/object-scene.js';
import { generateQuadPolScene, QUADPOL_CLASSES } from '../../../../sdk/sensors/synthetic/sar-quadpol.js';

const hash = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('seeded generators are deterministic and seeds matter', (t) => {
  const a = generateQuadPolScene({ width: 64, height: 48, seed: 1 });
  const b = generateQuadPolScene({ width: 64, height: 48, seed: 1 });
  const c = generateQuadPolScene({ width: 64, height: 48, seed: 2 });
  t.is(hash(encodeGeoTiff(a.raster)), hash(encodeGeoTiff(b.raster)));
  t.not(hash(encodeGeoTiff(a.raster)), hash(encodeGeoTiff(c.raster)));
  t.deepEqual(a.ships, b.ships);
  const o1 = generateObjectScene({ width: 96, height: 96, seed: 4 });
  const o2 = generateObjectScene({ width: 96, height: 96, seed: 4 });
  t.deepEqual(o1.objects, o2.objects);
  t.is(hash(encodeGeoTiff(o1.raster)), hash(encodeGeoTiff(o2.raster)));
});

test('rng: uniform, normal and gamma moments', (t) => {
  const rng = createRng(77);
  const n = 200_000;
  let su = 0,
    sn = 0,
    sn2 = 0,
    sg = 0,
    sg2 = 0;
  for (let i = 0; i < n; i++) {
    su += rng.next();
    const z = rng.normal();
    sn += z;
    sn2 += z * z;
    const g = rng.gamma(2.5);
    sg += g;
    sg2 += g * g;
  }
  t.true(Math.abs(su / n - 0.5) < 0.005);
  t.true(Math.abs(sn / n) < 0.01 && Math.abs(sn2 / n - 1) < 0.02);
  t.true(Math.abs(sg / n - 2.5) < 0.03 && Math.abs(sg2 / n - (sg / n) ** 2 - 2.5) < 0.06); // Gamma(k): mean k, variance k
});

test('quad-pol scene: class backscatter and polarimetric ratios as documented', (t) => {
  const s = generateQuadPolScene({ width: 256, height: 256, seed: 9, ships: 0 });
  const n = 256 * 256;
  const p = s.raster.planes;
  const acc = QUADPOL_CLASSES.map(() => ({ n: 0, hh: 0, hv: 0, vh: 0, vv: 0, hvvh: 0, cre: 0 }));
  for (let i = 0; i < n; i++) {
    const a = acc[s.classes[i]!]!;
    const pw = (k: number) => p[2 * k]![i]! ** 2 + p[2 * k + 1]![i]! ** 2;
    a.n++;
    a.hh += pw(0);
    a.hv += pw(1);
    a.vh += pw(2);
    a.vv += pw(3);
    a.hvvh += p[2]![i]! * p[4]![i]! + p[3]![i]! * p[5]![i]!; // Re(HV · conj(VH))
    a.cre += p[0]![i]! * p[6]![i]! + p[1]![i]! * p[7]![i]!; // Re(HH · conj(VV))
  }
  const db = (x: number) => 10 * Math.log10(x);
  const sea = acc[0]!;
  t.true(sea.n > 1000);
  t.true(Math.abs(db(sea.vv / sea.n) - -15) < 0.5, `sea VV ${db(sea.vv / sea.n)} dB`);
  t.true(Math.abs(db(sea.hh / sea.vv) - -4) < 0.5, 'Bragg: HH 4 dB below VV');
  t.true(db(sea.hv / sea.vv) < -15, 'weak cross-pol on the sea');
  t.true(sea.hvvh / Math.sqrt(sea.hv * sea.vh) > 0.95, 'reciprocity: HV ≈ VH');
  t.true(sea.cre / Math.sqrt(sea.hh * sea.vv) > 0.7, 'sea: coherent HH/VV, phase 0');
  const urban = acc[2]!;
  t.true(urban.n > 1000);
  t.true(urban.cre / Math.sqrt(urban.hh * urban.vv) < -0.3, 'urban double bounce: HH/VV phase π');
  t.true(urban.hh > urban.vv, 'urban: HH above VV');
  const land = acc[1]!;
  t.true(db(land.hv / land.hh) > -8, 'vegetation: strong cross-pol');
});

test('ships: on the sea, inside the scene, bright (span above 1) at their known centres', (t) => {
  const s = generateQuadPolScene({ width: 320, height: 240, seed: 21, ships: 6 });
  t.true(s.ships.length >= 4);
  const p = s.raster.planes;
  for (const ship of s.ships) {
    const [x1, y1, x2, y2] = ship.box;
    t.true(x1 >= 0 && y1 >= 0 && x2 <= 320 && y2 <= 240);
    const i = Math.floor(ship.y) * 320 + Math.floor(ship.x);
    t.is(s.classes[i], 0);
    const span = [0, 1, 2, 3].reduce((a, k) => a + p[2 * k]![i]! ** 2 + p[2 * k + 1]![i]! ** 2, 0);
    t.true(span > 1, `ship ${ship.id} span ${span}`);
  }
});

test('object scene: boxes inside the image, buildings apart, objects visible at their centres', (t) => {
  const { raster, objects } = generateObjectScene({ width: 256, height: 256, seed: 12 });
  t.true(objects.some((o) => o.label === 'building') && objects.some((o) => o.label === 'vehicle'));
  const buildings = objects.filter((o) => o.classId === 1);
  for (const o of objects) {
    const [x1, y1, x2, y2] = o.box;
    t.true(x1 >= 0 && y1 >= 0 && x2 <= 256 && y2 <= 256 && x2 > x1 && y2 > y1);
  }
  for (let i = 0; i < buildings.length; i++) {
    for (let j = i + 1; j < buildings.length; j++) {
      const a = buildings[i]!.box;
      const b = buildings[j]!.box;
      t.true(a[2] <= b[0] || b[2] <= a[0] || a[3] <= b[1] || b[3] <= a[1], 'buildings do not overlap');
    }
  }
  const roofish = buildings.filter((o) => {
    const cx = Math.floor((o.box[0] + o.box[2]) / 2);
    const cy = Math.floor((o.box[1] + o.box[3]) / 2);
    const r = raster.planes[0]![cy * 256 + cx]!;
    return r > 150;
  });
  t.is(roofish.length, buildings.length, 'every building roof (red tiles or light grey) is brighter than the fields');
});
