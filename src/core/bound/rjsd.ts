/**
 * Representation Jensen–Shannon divergence between two sets of text embeddings (docs/method.md
 * section 4, as Oh et al. estimate it), in nats.
 *
 * Each embedding x_i is L2-normalized here (a no-op for vectors that already are). A set with n
 * rows X (n × d) is represented by its uncentered second-moment matrix C = XᵀX / n. With unit
 * rows tr(XᵀX) = n, so C has unit trace: it is a density matrix, its eigenvalues are already a
 * distribution, and (C_P + C_Q)/2 mixes the two sets with equal weight whatever their sizes.
 * (the paper writes C = XᵀX and normalizes the eigenvalues afterwards; for H(C_P) and H(C_Q)
 * that is the same, and dividing by n before mixing is what makes the mixture an equal one.)
 *
 *   H(C)  = −Σ λ log λ over the eigenvalues of C (von Neumann entropy; 0 · log 0 = 0),
 *   JS    = H((C_P + C_Q)/2) − (H(C_P) + H(C_Q))/2,  0 ≤ JS ≤ ln 2.
 *
 * Every matrix here is Σ_i w_i x_i x_iᵀ for unit rows x_i and weights w_i summing to 1 (w_i = 1/n
 * for one set; 1/(2n_P) and 1/(2n_Q) for the mixture). Its nonzero eigenvalues are those of the
 * weighted Gram matrix G_ij = √(w_i w_j) x_i·x_j, so the entropy is computed on whichever of the
 * two is smaller: the m × m Gram matrix when there are fewer rows m than dimensions d, else the
 * d × d second-moment matrix. Both are symmetric positive semidefinite; they are diagonalized by
 * ml-matrix's symmetric eigensolver (Householder tridiagonalization + QL, after JAMA/EISPACK).
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { nats, type Nats } from '../units.js';

/** One text's embedding: a Float32Array from the encoder or a plain array of numbers. */
export type EmbeddingRow = Float32Array | Float64Array | readonly number[];

/**
 * Which matrix to diagonalize: the Gram matrix (m × m), the second-moment matrix (d × d), or the
 * smaller of the two ('auto', the default). The choice changes only rounding, never the value.
 */
export type EntropyPath = 'auto' | 'gram' | 'moment';

export interface RjsdOptions {
  readonly path?: EntropyPath;
}

/** The three entropies behind one divergence, in nats; `js` is clamped at 0 against rounding. */
export interface RjsdDetail {
  readonly js: Nats;
  readonly entropyP: Nats;
  readonly entropyQ: Nats;
  readonly entropyMixture: Nats;
}

/** Copy the rows to Float64, L2-normalized, checking they are non-empty, finite, nonzero and of one dimension. */
function normalizedRows(rows: readonly EmbeddingRow[], name: string, dim?: number): Float64Array[] {
  if (rows.length === 0) throw new RangeError(`${name}: the set of embeddings is empty`);
  const d = dim ?? rows[0]!.length;
  if (d === 0) throw new RangeError(`${name}: embeddings have dimension 0`);
  return rows.map((row, i) => {
    if (row.length !== d) throw new RangeError(`${name}: embedding ${i} has dimension ${row.length}, expected ${d}`);
    const out = new Float64Array(d);
    let sq = 0;
    for (let k = 0; k < d; k++) {
      const v = row[k]!;
      if (!Number.isFinite(v)) throw new RangeError(`${name}: embedding ${i} has a non-finite value at ${k}`);
      out[k] = v;
      sq += v * v;
    }
    if (sq === 0) throw new RangeError(`${name}: embedding ${i} is the zero vector and cannot be normalized`);
    const inv = 1 / Math.sqrt(sq);
    for (let k = 0; k < d; k++) out[k] = out[k]! * inv;
    return out;
  });
}

/**
 * −Σ p log p over eigenvalues normalized to sum 1. Negative eigenvalues (rounding on a
 * semidefinite matrix) and positive ones below the numerical-rank tolerance size · ε · λ_max
 * (NumPy's matrix_rank default) are set to 0, so the zero eigenvalues of a rank-deficient
 * matrix contribute exactly nothing on either path.
 */
function entropyOfEigenvalues(eigenvalues: readonly number[]): number {
  let max = 0;
  for (const l of eigenvalues) if (l > max) max = l;
  const tolerance = eigenvalues.length * Number.EPSILON * max;
  let sum = 0;
  for (const l of eigenvalues) if (l > tolerance) sum += l;
  if (sum === 0) return NaN;
  let h = 0;
  for (const l of eigenvalues) {
    if (l <= tolerance) continue;
    const p = l / sum;
    h -= p * Math.log(p);
  }
  return h;
}

function symmetricEigenvalues(size: number, data: Float64Array): number[] {
  return new EigenvalueDecomposition(Matrix.from1DArray(size, size, data), { assumeSymmetric: true }).realEigenvalues;
}

/** Entropy of Σ_i w_i x_i x_iᵀ for unit rows x_i (weights summing to 1). */
function weightedEntropy(rows: readonly Float64Array[], weights: readonly number[], path: EntropyPath): number {
  const m = rows.length;
  const d = rows[0]!.length;
  const useGram = path === 'gram' || (path === 'auto' && m < d);
  if (useGram) {
    const g = new Float64Array(m * m);
    const roots = weights.map(Math.sqrt);
    for (let i = 0; i < m; i++) {
      const xi = rows[i]!;
      for (let j = i; j < m; j++) {
        const xj = rows[j]!;
        let dot = 0;
        for (let k = 0; k < d; k++) dot += xi[k]! * xj[k]!;
        const v = roots[i]! * roots[j]! * dot;
        g[i * m + j] = v;
        g[j * m + i] = v;
      }
    }
    return entropyOfEigenvalues(symmetricEigenvalues(m, g));
  }
  const c = new Float64Array(d * d);
  rows.forEach((x, i) => {
    const w = weights[i]!;
    for (let a = 0; a < d; a++) {
      const wa = w * x[a]!;
      if (wa === 0) continue;
      for (let b = a; b < d; b++) c[a * d + b] = c[a * d + b]! + wa * x[b]!;
    }
  });
  for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) c[b * d + a] = c[a * d + b]!;
  return entropyOfEigenvalues(symmetricEigenvalues(d, c));
}

/**
 * The von Neumann entropy H(C) of one set of embeddings, C = XᵀX / n over its L2-normalized
 * rows, in nats: 0 when every row points the same way, ln k for k orthonormal rows, at most
 * ln min(n, d). Throws a RangeError for an empty set, rows of different dimensions, a zero row
 * or a non-finite value.
 */
export function vonNeumannEntropy(rows: readonly EmbeddingRow[], options: RjsdOptions = {}): Nats {
  const x = normalizedRows(rows, 'vonNeumannEntropy');
  return nats(weightedEntropy(x, new Array<number>(x.length).fill(1 / x.length), options.path ?? 'auto'));
}

/**
 * The representation JS divergence with its three entropies. The mixture (C_P + C_Q)/2 is
 * Σ w_i x_i x_iᵀ over the stacked rows [X_P; X_Q] with weights 1/(2n_P) and 1/(2n_Q), i.e. the
 * Gram matrix of [X_P/√(2n_P); X_Q/√(2n_Q)] when n_P + n_Q < d. Throws a RangeError for an empty
 * set, mismatched dimensions (within or between the sets), a zero row or a non-finite value.
 */
export function representationJsdDetail(
  p: readonly EmbeddingRow[],
  q: readonly EmbeddingRow[],
  options: RjsdOptions = {},
): RjsdDetail {
  const path = options.path ?? 'auto';
  const xp = normalizedRows(p, 'representationJsd (P)');
  const xq = normalizedRows(q, 'representationJsd (Q)', xp[0]!.length);
  const entropyP = weightedEntropy(xp, new Array<number>(xp.length).fill(1 / xp.length), path);
  const entropyQ = weightedEntropy(xq, new Array<number>(xq.length).fill(1 / xq.length), path);
  const mixtureWeights = [
    ...new Array<number>(xp.length).fill(1 / (2 * xp.length)),
    ...new Array<number>(xq.length).fill(1 / (2 * xq.length)),
  ];
  const entropyMixture = weightedEntropy([...xp, ...xq], mixtureWeights, path);
  // JS ≥ 0 by the concavity of the von Neumann entropy; a rounding-sized negative would make
  // JS^{1/2} NaN downstream, so it is clamped.
  const js = Math.max(0, entropyMixture - (entropyP + entropyQ) / 2);
  return { js: nats(js), entropyP: nats(entropyP), entropyQ: nats(entropyQ), entropyMixture: nats(entropyMixture) };
}

/**
 * JS(P ‖ Q) = H((C_P + C_Q)/2) − (H(C_P) + H(C_Q))/2 between two sets of embeddings, in nats:
 * 0 for identical sets, ln 2 for sets spanning orthogonal subspaces, symmetric in P and Q.
 */
export function representationJsd(
  p: readonly EmbeddingRow[],
  q: readonly EmbeddingRow[],
  options: RjsdOptions = {},
): Nats {
  return representationJsdDetail(p, q, options).js;
}
