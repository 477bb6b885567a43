import { describe, expect, it } from 'vitest';
import {
  representationJsd,
  representationJsdDetail,
  vonNeumannEntropy,
  type EmbeddingRow,
} from '../../../../src/core/bound/rjsd.js';
import { createRng } from '../../../../src/core/random.js';

const LN2 = Math.log(2);

/** The unit vector e_k (k from 1) in d dimensions. */
const e = (k: number, d: number): number[] => Array.from({ length: d }, (_, i) => (i === k - 1 ? 1 : 0));

/** cos θ e1 + sin θ e2 in d dimensions. */
const atAngle = (theta: number, d = 2): number[] => {
  const v = new Array<number>(d).fill(0);
  v[0] = Math.cos(theta);
  v[1] = Math.sin(theta);
  return v;
};

/** n rows of d Gaussian-ish (sum of uniforms) values, seeded. */
function randomRows(n: number, d: number, seed: number): number[][] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () =>
    Array.from({ length: d }, () => rng.next() + rng.next() + rng.next() - 1.5 + (rng.next() < 0.3 ? 0.8 : 0)),
  );
}

/** Binary entropy in nats. */
const h2 = (p: number): number => -(p * Math.log(p) + (1 - p) * Math.log(1 - p));

describe('vonNeumannEntropy', () => {
  it('is ln k for k orthonormal vectors, on either path and for Float32Array rows', () => {
    for (let k = 1; k <= 5; k++) {
      const rows = Array.from({ length: k }, (_, i) => e(i + 1, 8));
      expect(vonNeumannEntropy(rows)).toBeCloseTo(Math.log(k), 12);
      expect(vonNeumannEntropy(rows, { path: 'gram' })).toBeCloseTo(Math.log(k), 12);
      expect(vonNeumannEntropy(rows, { path: 'moment' })).toBeCloseTo(Math.log(k), 12);
      expect(vonNeumannEntropy(rows.map((r) => Float32Array.from(r)))).toBeCloseTo(Math.log(k), 12);
    }
  });

  it('is 0 for one direction repeated, whatever the vectors’ lengths (rows are normalized)', () => {
    expect(
      vonNeumannEntropy([
        [3, 4, 0],
        [0.6, 0.8, 0],
        [-6, -8, 0],
      ]),
    ).toBeCloseTo(0, 12);
  });

  it('matches the 2 × 2 eigenvalues (1 ± cos θ)/2 of {e1, cos θ e1 + sin θ e2}', () => {
    // C = (e1 e1ᵀ + v vᵀ)/2 = [[(1 + cos²θ)/2, cos θ sin θ/2], [cos θ sin θ/2, sin²θ/2]]: trace 1,
    // determinant sin²θ/4, so λ = (1 ± cos θ)/2. θ = 60°: λ = 3/4, 1/4, H = ln 4 − (3/4) ln 3.
    expect(vonNeumannEntropy([e(1, 2), atAngle(Math.PI / 3)])).toBeCloseTo(Math.log(4) - 0.75 * Math.log(3), 12);
    for (const deg of [10, 45, 80]) {
      const theta = (deg * Math.PI) / 180;
      expect(vonNeumannEntropy([e(1, 2), atAngle(theta)])).toBeCloseTo(h2((1 + Math.cos(theta)) / 2), 12);
    }
  });

  it('gives the same value on the Gram and second-moment paths (n < d and n > d)', () => {
    for (const [n, d, seed] of [
      [5, 12, 1],
      [20, 6, 2],
      [7, 7, 3],
      [40, 16, 4],
    ] as const) {
      const rows = randomRows(n, d, seed);
      const gram = vonNeumannEntropy(rows, { path: 'gram' });
      const moment = vonNeumannEntropy(rows, { path: 'moment' });
      expect(Math.abs(gram - moment)).toBeLessThan(1e-9);
      expect(gram).toBeGreaterThan(0);
      expect(gram).toBeLessThanOrEqual(Math.log(Math.min(n, d)) + 1e-12);
    }
  });

  it('rejects empty sets, mixed dimensions, zero and non-finite rows', () => {
    expect(() => vonNeumannEntropy([])).toThrow(RangeError);
    expect(() => vonNeumannEntropy([[]])).toThrow(/dimension 0/);
    expect(() =>
      vonNeumannEntropy([
        [1, 0],
        [1, 0, 0],
      ]),
    ).toThrow(/embedding 1 has dimension 3, expected 2/);
    expect(() => vonNeumannEntropy([[0, 0]])).toThrow(/zero vector/);
    expect(() => vonNeumannEntropy([[1, NaN]])).toThrow(/non-finite/);
  });
});

describe('representationJsd', () => {
  it('is ln 2 for two orthogonal single vectors', () => {
    expect(representationJsd([e(1, 3)], [e(2, 3)])).toBeCloseTo(LN2, 12);
    expect(representationJsd([e(1, 3)], [e(2, 3)], { path: 'moment' })).toBeCloseTo(LN2, 12);
  });

  it('weighs the two sets equally whatever their sizes and the rows’ lengths', () => {
    // Three copies of e1 against one (scaled) e2: still C_P = e1e1ᵀ, C_Q = e2e2ᵀ, mixture diag(1/2, 1/2).
    expect(representationJsd([e(1, 2), [2, 0], [0.5, 0]], [[0, 7]])).toBeCloseTo(LN2, 12);
    // P = {e1, e2}: C_P = diag(1/2, 1/2), H = ln 2. Q = {e1}: H = 0. Mixture diag(3/4, 1/4),
    // H = ln 4 − (3/4) ln 3. JS = ln 4 − (3/4) ln 3 − (ln 2)/2 = (3/2) ln 2 − (3/4) ln 3 ≈ 0.2158.
    // (Weighting by set sizes instead would give a diag(2/3, 1/3) mixture and another value.)
    const detail = representationJsdDetail([e(1, 2), e(2, 2)], [e(1, 2)]);
    expect(detail.entropyP).toBeCloseTo(LN2, 12);
    expect(detail.entropyQ).toBeCloseTo(0, 12);
    expect(detail.entropyMixture).toBeCloseTo(Math.log(4) - 0.75 * Math.log(3), 12);
    expect(detail.js).toBeCloseTo(1.5 * LN2 - 0.75 * Math.log(3), 12);
    expect(detail.js).toBeCloseTo(0.21576155433883568, 12);
  });

  it('for {e1} vs {cos θ e1 + sin θ e2} is the binary entropy of (1 + cos θ)/2', () => {
    // H(C_P) = H(C_Q) = 0 (one direction each); the mixture (e1e1ᵀ + vvᵀ)/2 has λ = (1 ± cos θ)/2.
    // θ = 60°: λ = 3/4, 1/4, JS = −(3/4 ln 3/4 + 1/4 ln 1/4) = ln 4 − (3/4) ln 3 ≈ 0.5623351446.
    expect(representationJsd([e(1, 2)], [atAngle(Math.PI / 3)])).toBeCloseTo(0.5623351446188083, 12);
    for (const deg of [0, 15, 30, 45, 75, 90]) {
      const theta = (deg * Math.PI) / 180;
      const expected = deg === 0 ? 0 : h2((1 + Math.cos(theta)) / 2);
      expect(representationJsd([e(1, 4)], [atAngle(theta, 4)])).toBeCloseTo(expected, 12);
    }
  });

  it('is 0 for a set against itself', () => {
    const rows = randomRows(12, 8, 7);
    expect(Math.abs(representationJsd(rows, rows))).toBeLessThan(1e-12);
    const raw = representationJsdDetail(rows, rows);
    expect(Math.abs(raw.entropyMixture - (raw.entropyP + raw.entropyQ) / 2)).toBeLessThan(1e-12);
    // The same set as Float32Array and in another order.
    const f32 = rows.map((r) => Float32Array.from(r)).reverse();
    expect(Math.abs(representationJsd(f32, f32))).toBeLessThan(1e-12);
  });

  it('is symmetric and within [0, ln 2] before clamping', () => {
    for (let seed = 10; seed < 20; seed++) {
      const p = randomRows(3 + (seed % 5), 6, seed);
      const q = randomRows(9 - (seed % 4), 6, seed + 100);
      const pq = representationJsdDetail(p, q);
      const qp = representationJsdDetail(q, p);
      expect(Math.abs(pq.js - qp.js)).toBeLessThan(1e-12);
      const raw = pq.entropyMixture - (pq.entropyP + pq.entropyQ) / 2;
      expect(raw).toBeGreaterThan(0);
      expect(raw).toBeLessThan(LN2);
    }
  });

  it('increases monotonically as two clusters separate, from 0 to ln 2', () => {
    // Cluster P: three vectors around e1, perturbed in e3 and e4; cluster Q: around
    // cos θ e1 + sin θ e2, perturbed in e5 and e6, so at θ = 90° the clusters span orthogonal
    // subspaces and JS = ln 2.
    const offsets: [number, number][] = [
      [0.1, 0],
      [-0.05, 0.08],
      [0, -0.1],
    ];
    const p = offsets.map(([a, b]) => [1, 0, a, b, 0, 0]);
    const q = (theta: number): number[][] => offsets.map(([a, b]) => [Math.cos(theta), Math.sin(theta), 0, 0, a, b]);
    let previous = -1;
    const values: number[] = [];
    for (let deg = 0; deg <= 90; deg += 5) {
      const js = representationJsd(p, q((deg * Math.PI) / 180));
      values.push(js);
      expect(js).toBeGreaterThan(previous);
      previous = js;
    }
    expect(values.at(-1)).toBeCloseTo(LN2, 12);
    // Single vectors at angle θ: h2((1 + cos θ)/2) is increasing on [0°, 90°].
    previous = -1;
    for (let deg = 0; deg <= 90; deg += 5) {
      const js = representationJsd([e(1, 2)], [atAngle((deg * Math.PI) / 180)]);
      expect(js).toBeGreaterThan(previous);
      previous = js;
    }
  });

  it('gives the same value on the Gram and second-moment paths (sets smaller and larger than d)', () => {
    for (const [np, nq, d, seed] of [
      [3, 4, 16, 21], // mixture of 7 rows in 16 dimensions: Gram is smaller
      [30, 25, 8, 22], // all larger than d: moment is smaller
      [4, 9, 10, 23], // P smaller than d, Q and the mixture larger
    ] as const) {
      const p = randomRows(np, d, seed);
      const q = randomRows(nq, d, seed + 1);
      const gram = representationJsdDetail(p, q, { path: 'gram' });
      const moment = representationJsdDetail(p, q, { path: 'moment' });
      const auto = representationJsdDetail(p, q);
      for (const key of ['js', 'entropyP', 'entropyQ', 'entropyMixture'] as const) {
        expect(Math.abs(gram[key] - moment[key])).toBeLessThan(1e-9);
        expect(Math.abs(auto[key] - moment[key])).toBeLessThan(1e-9);
      }
      expect(gram.js).toBeGreaterThan(0);
    }
  });

  it('rejects empty sets and mismatched dimensions with clear errors', () => {
    const ok: EmbeddingRow[] = [[1, 0, 0]];
    expect(() => representationJsd([], ok)).toThrow(/\(P\): the set of embeddings is empty/);
    expect(() => representationJsd(ok, [])).toThrow(/\(Q\): the set of embeddings is empty/);
    expect(() => representationJsd(ok, [[1, 0]])).toThrow(/\(Q\): embedding 0 has dimension 2, expected 3/);
    expect(() =>
      representationJsd(
        [
          [1, 0, 0],
          [0, 1],
        ],
        ok,
      ),
    ).toThrow(RangeError);
    expect(() => representationJsd(ok, [[0, 0, 0]])).toThrow(/zero vector/);
  });
});
