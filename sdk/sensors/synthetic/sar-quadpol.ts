/**
 * GENERATED (not measured) complex quad-pol SAR scenes, for SAR-L1 demos and tests: no raw SAR can be
 * shipped. Physically plausible, seeded and deterministic.
 *
 * Model: a product model per pixel, k = √τ · L · n, with n a vector of independent circular complex
 * Gaussians (fully developed single-look speckle), L the Cholesky factor of the class's polarimetric
 * covariance and τ ~ Gamma(ν, 1/ν) a texture of mean 1 (so intensities are K-distributed). Classes and
 * their calibrated backscatter (linear σ⁰, C-band, mid incidence; reflection symmetric, HV ≈ VH):
 *   sea    VV −15 dB, HH −19 dB, HV −32 dB, ρ(HH,VV) 0.8 ∠0,  ν 8  (Bragg: VV > HH, weak cross-pol)
 *   land   HH −11 dB, VV −11.5 dB, HV −17 dB, ρ 0.35 ∠0,  ν 4  (volume: strong cross-pol, low coherence)
 *   urban  HH −3 dB, VV −6 dB, HV −13 dB, ρ 0.5 ∠π,    ν 1.5 (double bounce: HH > VV, co-pol phase π)
 * Ships are bright extended targets (dihedral-like, span 2–30, i.e. above the SAR-L1 clip of 1) on the
 * sea, with sinc sidelobes along the image axes; their centres and boxes are returned.
 */
import type { GeoReference } from '../geometry/georef.js';
import type { Raster } from '../raster.js';
import { createRng, type Rng } from './rng.js';

/** Class ids of the generated class map. */
export const QUADPOL_CLASSES = ['sea', 'land', 'urban'] as const;

interface ClassModel {
  hh: number;
  vv: number;
  hv: number;
  rho: number;
  phase: number;
  nu: number;
}

const db = (x: number) => 10 ** (x / 10);
const MODELS: ClassModel[] = [
  { hh: db(-19), vv: db(-15), hv: db(-32), rho: 0.8, phase: 0, nu: 8 },
  { hh: db(-11), vv: db(-11.5), hv: db(-17), rho: 0.35, phase: 0, nu: 4 },
  { hh: db(-3), vv: db(-6), hv: db(-13), rho: 0.5, phase: Math.PI, nu: 1.5 },
];

/** A generated ship: a bright rotated rectangle on the sea. Pixel-corner coordinates. */
export interface GeneratedShip {
  id: number;
  /** Centre. */
  x: number;
  y: number;
  /** Hull length and beam in pixels. */
  length: number;
  beam: number;
  /** Heading in degrees, clockwise from image up. */
  heading: number;
  /** Axis-aligned bounding box of the hull [x1, y1, x2, y2]. */
  box: [number, number, number, number];
  /** Span (total power) of the hull's scatterers. */
  span: number;
}

/** Options of {@link generateQuadPolScene}. */
export interface QuadPolSceneOptions {
  width: number;
  height: number;
  seed: number;
  /** Ships to place on the sea (default 5; fewer if the sea is too small). */
  ships?: number;
  /** Fraction of the scene that is land, on the right-hand side (default 0.35). */
  landFraction?: number;
  /** Ground pixel spacing in metres for the georeference (default 5). */
  pixelSpacing?: number;
}

/** A generated quad-pol scene. */
export interface QuadPolScene {
  /** complex64, bands HH, HV, VH, VV (calibrated, linear amplitude). */
  raster: Raster;
  /** Class per pixel (index into {@link QUADPOL_CLASSES}). */
  classes: Uint8Array;
  ships: GeneratedShip[];
  /** A made-up placement (UTM 40N, EPSG:32640) so map-coordinate code paths can be exercised. */
  georef: GeoReference;
}

/**
 * Generates a seeded complex quad-pol scene (same options → identical scene).
 * @example
 * const scene = generateQuadPolScene({ width: 256, height: 256, seed: 7 });
 */
export function generateQuadPolScene(options: QuadPolSceneOptions): QuadPolScene {
  const { width: w, height: h, seed } = options;
  const rng = createRng(seed);
  const classes = classMap(w, h, options.landFraction ?? 0.35, rng);
  const n = w * h;
  const planes = Array.from({ length: 8 }, () => new Float32Array(n));
  const [hhR, hhI, hvR, hvI, vhR, vhI, vvR, vvI] = planes as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const s = Math.SQRT1_2; // each circular Gaussian part has variance 1/2
  for (let i = 0; i < n; i++) {
    const m = MODELS[classes[i]!]!;
    const tau = rng.gamma(m.nu) / m.nu;
    const a = Math.sqrt(tau);
    const n1r = rng.normal() * s,
      n1i = rng.normal() * s;
    const n2r = rng.normal() * s,
      n2i = rng.normal() * s;
    const n3r = rng.normal() * s,
      n3i = rng.normal() * s;
    const n4r = rng.normal() * s,
      n4i = rng.normal() * s;
    const shh = Math.sqrt(m.hh),
      svv = Math.sqrt(m.vv),
      shv = Math.sqrt(m.hv);
    hhR[i] = a * shh * n1r;
    hhI[i] = a * shh * n1i;
    // VV = √σvv (ρ e^{iφ} n1 + √(1-ρ²) n2)
    const c = Math.cos(m.phase),
      sn = Math.sin(m.phase),
      q = Math.sqrt(1 - m.rho * m.rho);
    vvR[i] = a * svv * (m.rho * (c * n1r - sn * n1i) + q * n2r);
    vvI[i] = a * svv * (m.rho * (sn * n1r + c * n1i) + q * n2i);
    // Reciprocity: VH = HV up to 1 % decorrelation.
    hvR[i] = a * shv * n3r;
    hvI[i] = a * shv * n3i;
    vhR[i] = a * shv * (0.995 * n3r + 0.0999 * n4r);
    vhI[i] = a * shv * (0.995 * n3i + 0.0999 * n4i);
  }
  const ships = placeShips(classes, w, h, options.ships ?? 5, rng);
  for (const ship of ships) paintShip(planes, w, h, ship, rng);
  const spacing = options.pixelSpacing ?? 5;
  return {
    raster: { width: w, height: h, dtype: 'complex64', complex: true, planes },
    classes,
    ships,
    georef: {
      transform: [398000, spacing, 0, 2775000, 0, -spacing],
      crsKind: 'projected',
      epsg: 32640,
      unit: 'metre',
      metresPerUnit: 1,
      citation: 'WGS 84 / UTM zone 40N (generated placement)',
    },
  };
}

function classMap(w: number, h: number, landFraction: number, rng: Rng): Uint8Array {
  const out = new Uint8Array(w * h);
  const base = w * (1 - landFraction);
  const waves = [0, 1, 2].map((k) => ({
    amp: (w * 0.06) / (k + 1),
    freq: (((k + 1) * 2 * Math.PI) / h) * rng.range(0.6, 1.4),
    phase: rng.range(0, 2 * Math.PI),
  }));
  const towns = [0, 1].map(() => ({
    cx: rng.range(base + w * 0.05, w),
    cy: rng.range(0, h),
    r: rng.range(0.05, 0.1) * Math.min(w, h),
  }));
  for (let y = 0; y < h; y++) {
    const coast = base + waves.reduce((acc, wv) => acc + wv.amp * Math.sin(wv.freq * y + wv.phase), 0);
    for (let x = 0; x < w; x++) {
      if (x + 0.5 < coast) continue;
      const inTown = towns.some((t) => (x - t.cx) ** 2 + (y - t.cy) ** 2 < t.r * t.r);
      out[y * w + x] = inTown ? 2 : 1;
    }
  }
  return out;
}

function placeShips(classes: Uint8Array, w: number, h: number, count: number, rng: Rng): GeneratedShip[] {
  const ships: GeneratedShip[] = [];
  for (let attempt = 0; attempt < count * 200 && ships.length < count; attempt++) {
    const length = rng.range(8, 24);
    const beam = length / rng.range(3.5, 5.5);
    const heading = rng.range(0, 180);
    const x = rng.range(length, w - length);
    const y = rng.range(length, h - length);
    const margin = length * 1.5;
    let sea = true;
    for (let dy = -margin; dy <= margin && sea; dy += 2) {
      for (let dx = -margin; dx <= margin && sea; dx += 2) {
        const xi = Math.floor(x + dx),
          yi = Math.floor(y + dy);
        if (xi < 0 || yi < 0 || xi >= w || yi >= h || classes[yi * w + xi] !== 0) sea = false;
      }
    }
    if (!sea || ships.some((s) => Math.hypot(s.x - x, s.y - y) < (s.length + length) * 1.2)) continue;
    const t = (heading * Math.PI) / 180;
    const ax = [Math.sin(t), -Math.cos(t)]; // along-hull unit vector
    const bx = [Math.cos(t), Math.sin(t)]; // across-hull
    const corners = [-1, 1].flatMap((i) =>
      [-1, 1].map((j) => [
        x + (i * length * ax[0]!) / 2 + (j * beam * bx[0]!) / 2,
        y + (i * length * ax[1]!) / 2 + (j * beam * bx[1]!) / 2,
      ]),
    );
    const xs = corners.map((c) => c[0]!),
      ys = corners.map((c) => c[1]!);
    ships.push({
      id: ships.length,
      x,
      y,
      length,
      beam,
      heading,
      box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)],
      span: rng.range(2, 30),
    });
  }
  return ships;
}

function paintShip(planes: Float32Array[], w: number, h: number, ship: GeneratedShip, rng: Rng): void {
  const t = (ship.heading * Math.PI) / 180;
  const [x1, y1, x2, y2] = ship.box;
  const amp = Math.sqrt(ship.span / 1.82); // span = |HH|² + |VV|² + |HV|² + |VH|² = amp²·(1 + 0.64 + 0.09 + 0.09)
  for (let y = Math.max(0, Math.floor(y1)); y < Math.min(h, Math.ceil(y2)); y++) {
    for (let x = Math.max(0, Math.floor(x1)); x < Math.min(w, Math.ceil(x2)); x++) {
      const dx = x + 0.5 - ship.x,
        dy = y + 0.5 - ship.y;
      const along = dx * Math.sin(t) - dy * Math.cos(t);
      const across = dx * Math.cos(t) + dy * Math.sin(t);
      if (Math.abs(along) > ship.length / 2 || Math.abs(across) > ship.beam / 2) continue;
      const i = y * w + x;
      const a = amp * rng.range(0.6, 1.2);
      const ph = rng.range(0, 2 * Math.PI),
        ph2 = rng.range(0, 2 * Math.PI);
      setC(planes, 0, i, a * Math.cos(ph), a * Math.sin(ph)); // HH
      setC(planes, 3, i, -0.8 * a * Math.cos(ph), -0.8 * a * Math.sin(ph)); // VV, dihedral: phase π
      setC(planes, 1, i, 0.3 * a * Math.cos(ph2), 0.3 * a * Math.sin(ph2)); // HV
      setC(planes, 2, i, 0.3 * a * Math.cos(ph2), 0.3 * a * Math.sin(ph2)); // VH = HV
    }
  }
  // Sidelobes of an unweighted sinc impulse response along both image axes through the centre.
  const cx = Math.floor(ship.x),
    cy = Math.floor(ship.y);
  const delta = ship.x - cx - 0.5;
  for (let k = -10; k <= 10; k++) {
    const sinc = (u: number) => (u === 0 ? 1 : Math.sin(Math.PI * u) / (Math.PI * u));
    const g = amp * sinc(k - delta) * 0.9;
    for (const [x, y] of [
      [cx + k, cy],
      [cx, cy + k],
    ] as const) {
      if (x < 0 || y < 0 || x >= w || y >= h || Math.abs(k) < ship.beam) continue;
      const i = y * w + x;
      planes[0]![i]! += g;
      planes[6]![i]! -= 0.8 * g;
    }
  }
}

function setC(planes: Float32Array[], band: number, i: number, re: number, im: number): void {
  planes[2 * band]![i] = re;
  planes[2 * band + 1]![i] = im;
}
