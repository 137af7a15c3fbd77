/**
 * The dense linear algebra knowledge compression needs: a symmetric eigendecomposition
 * (Householder tridiagonalisation, then implicit QR with Wilkinson shifts, O(n³)) and the top
 * singular directions of a matrix derived from it. Float64 throughout; matrices are row-major.
 */
import { EdgeError } from '../../sdk/internal.js';

/** An eigendecomposition of a symmetric matrix. */
export interface Eigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** Eigenvectors as columns of an n×n row-major matrix, in the order of `values`. */
  vectors: Float64Array;
}

/** Reduces symmetric `a` (n×n, overwritten) to tridiagonal form; returns diagonal, off-diagonal and Q. */
function tridiagonalise(a: Float64Array, n: number): { d: Float64Array; e: Float64Array; q: Float64Array } {
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k + 2 < n; k++) {
    // Householder vector for column k below the subdiagonal.
    let norm = 0;
    for (let i = k + 1; i < n; i++) norm += a[i * n + k]! ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const x0 = a[(k + 1) * n + k]!;
    const alpha = x0 >= 0 ? -norm : norm;
    v.fill(0);
    for (let i = k + 1; i < n; i++) v[i] = a[i * n + k]!;
    v[k + 1] = x0 - alpha;
    let vn = 0;
    for (let i = k + 1; i < n; i++) vn += v[i]! ** 2;
    vn = Math.sqrt(vn);
    if (vn === 0) continue;
    for (let i = k + 1; i < n; i++) v[i] = v[i]! / vn;
    // A ← H A H with H = I − 2vvᵀ: p = Av, K = vᵀp, q = p − Kv, A −= 2(vqᵀ + qvᵀ) (rows/cols k.. only).
    let K = 0;
    for (let i = k; i < n; i++) {
      let s = 0;
      for (let j = k + 1; j < n; j++) s += a[i * n + j]! * v[j]!;
      p[i] = s;
      K += v[i]! * s;
    }
    for (let i = k; i < n; i++) p[i] = p[i]! - K * v[i]!;
    for (let i = k; i < n; i++) {
      const vi = v[i]!;
      const pi = p[i]!;
      for (let j = k; j < n; j++) a[i * n + j] = a[i * n + j]! - 2 * (vi * p[j]! + pi * v[j]!);
    }
    // Q ← Q H.
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = k + 1; j < n; j++) s += q[i * n + j]! * v[j]!;
      if (s === 0) continue;
      for (let j = k + 1; j < n; j++) q[i * n + j] = q[i * n + j]! - 2 * s * v[j]!;
    }
  }
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(0, n - 1));
  for (let i = 0; i < n; i++) d[i] = a[i * n + i]!;
  for (let i = 0; i + 1 < n; i++) e[i] = a[(i + 1) * n + i]!;
  return { d, e, q };
}

/** Diagonalises the symmetric tridiagonal (d, e) in place, applying every rotation to the columns of z. */
function tridiagonalQr(d: Float64Array, e: Float64Array, z: Float64Array, n: number): void {
  const eps = 2.220446049250313e-16;
  let hi = n - 1;
  let iterations = 0;
  while (hi > 0) {
    for (let i = 0; i < hi; i++) if (Math.abs(e[i]!) <= eps * (Math.abs(d[i]!) + Math.abs(d[i + 1]!))) e[i] = 0;
    while (hi > 0 && e[hi - 1] === 0) hi--;
    if (hi === 0) break;
    let lo = hi - 1;
    while (lo > 0 && e[lo - 1] !== 0) lo--;
    if (++iterations > 60 * n) throw new EdgeError('E_INTERNAL', `eigendecomposition did not converge (n=${n})`);
    // Wilkinson shift from the trailing 2×2 of the active block.
    const delta = (d[hi - 1]! - d[hi]!) / 2;
    const eh = e[hi - 1]!;
    const mu = d[hi]! - (eh * eh) / (delta + (delta >= 0 ? 1 : -1) * Math.hypot(delta, eh));
    let x = d[lo]! - mu;
    let zb = e[lo]!;
    for (let k = lo; k < hi; k++) {
      const r = Math.hypot(x, zb);
      const c = r === 0 ? 1 : x / r;
      const s = r === 0 ? 0 : zb / r;
      if (k > lo) e[k - 1] = r;
      const a0 = d[k]!;
      const a1 = d[k + 1]!;
      const off = e[k]!;
      d[k] = c * c * a0 + 2 * c * s * off + s * s * a1;
      d[k + 1] = s * s * a0 - 2 * c * s * off + c * c * a1;
      e[k] = c * s * (a1 - a0) + (c * c - s * s) * off;
      if (k + 1 < hi) {
        zb = s * e[k + 1]!;
        e[k + 1] = c * e[k + 1]!;
      }
      x = e[k]!;
      for (let i = 0; i < n; i++) {
        const zk = z[i * n + k]!;
        const zk1 = z[i * n + k + 1]!;
        z[i * n + k] = c * zk + s * zk1;
        z[i * n + k + 1] = -s * zk + c * zk1;
      }
    }
  }
}

/**
 * Eigendecomposition of the symmetric n×n matrix `a` (not modified).
 * @throws EdgeError E_INTERNAL if the iteration does not converge (it always does for finite input)
 */
export function symmetricEigen(a: Float64Array, n: number): Eigen {
  const work = Float64Array.from(a);
  const { d, e, q } = tridiagonalise(work, n);
  tridiagonalQr(d, e, q, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[j]! - d[i]! || i - j);
  const values = Float64Array.from(order, (i) => d[i]!);
  const vectors = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) vectors[r * n + c] = q[r * n + order[c]!]!;
  return { values, vectors };
}

/** Gram matrix MᵀM (cols×cols) of a row-major rows×cols float matrix. */
export function gram(m: Float32Array | Float64Array, rows: number, cols: number): Float64Array {
  const g = new Float64Array(cols * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let i = 0; i < cols; i++) {
      const x = m[base + i]!;
      if (x === 0) continue;
      const gi = i * cols;
      for (let j = i; j < cols; j++) g[gi + j] = g[gi + j]! + x * m[base + j]!;
    }
  }
  for (let i = 0; i < cols; i++) for (let j = 0; j < i; j++) g[i * cols + j] = g[j * cols + i]!;
  return g;
}

/**
 * The top `k` singular triplets of a rows×cols matrix M with rows ≥ cols, from the
 * eigendecomposition of MᵀM: σ (largest first), right vectors V (cols×k) and left vectors
 * U = M·V/σ (rows×k). Directions whose σ is below 1e-7·σ_max are left out (so fewer than `k`
 * may come back when M's rank is lower).
 */
export function topSingular(
  m: Float32Array,
  rows: number,
  cols: number,
  k: number,
): { sigma: Float64Array; v: Float64Array; u: Float64Array; rank: number } {
  const { values, vectors } = symmetricEigen(gram(m, rows, cols), cols);
  const smax = Math.sqrt(Math.max(0, values[0] ?? 0));
  let rank = 0;
  while (rank < Math.min(k, cols) && Math.sqrt(Math.max(0, values[rank]!)) > 1e-7 * smax && smax > 0) rank++;
  const sigma = Float64Array.from({ length: rank }, (_, i) => Math.sqrt(values[i]!));
  const v = new Float64Array(cols * rank);
  for (let r = 0; r < cols; r++) for (let c = 0; c < rank; c++) v[r * rank + c] = vectors[r * cols + c]!;
  const u = new Float64Array(rows * rank);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < rank; c++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += m[base + j]! * v[j * rank + c]!;
      u[r * rank + c] = s / sigma[c]!;
    }
  }
  return { sigma, v, u, rank };
}
