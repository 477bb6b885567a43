/**
 * What the conformance suites (Node and Chromium) check on the Hub-format fixtures, and within
 * what: the tolerances per exporter and precision, and the comparisons of an engine's scores with
 * the fixture's float64 torch reference. Runtime-free, so the browser harness uses it too.
 */
import type { HubFixture, HubReference, Precision, ReferenceSequence } from '../../scripts/lib/hub-fixtures.js';

/**
 * Largest |engine − reference| per response token (nats) against the torch float64 reference
 * computed on the graph's own weights and integer arithmetic. fp32 and the q4 of transformers.js's
 * conversion (float activations) agree to float32 rounding; the model builder's int4 computes
 * with int8 activations inside MatMulNBits and fp16 in float16, which the reference follows only
 * approximately; dynamic int8 has its activations rounded to 256 levels, where one level more or
 * less moves a log-prob far on these random weights.
 */
export const TOLERANCE: Readonly<Record<HubFixture['exporter'], Readonly<Record<Precision, number>>>> = {
  optimum: { fp32: 1e-4, q4: 1e-4, fp16: 0.1, q4f16: 0.2, q8: 1 },
  genai: { fp32: 1e-4, q4: 0.1, fp16: 0.1, q4f16: 1, q8: 1 },
};

/**
 * Largest |shared-context engine − whole sequence at batch 1| on the same runtime: the same graph
 * run two ways, so rounding alone; float16 accumulates a cache and a suffix pass differently from
 * one whole pass. Row-coupled precisions (q8) are held to exact equality between a response
 * scored alone and among others instead.
 */
export const SAME_RUNTIME_TOLERANCE: Readonly<Record<Precision, number>> = {
  fp32: 1e-4,
  q4: 1e-4,
  fp16: 0.2,
  q4f16: 0.2,
  q8: 0,
};

/** The engine's score of one response, as the conformance suites compare it. */
export interface ScoredResponse {
  readonly tokenIds: ArrayLike<number>;
  readonly logProbs: ArrayLike<number>;
  readonly contextTokens: number;
}

export interface ReferenceMatch {
  /** The reference variant that fits best (e.g. "q8" or "q8-int16-pairs"). */
  readonly variant: string;
  readonly maxAbsDiff: number;
  /** Whether the engine's response tokens are the reference's, where the reference has them. */
  readonly sameTokens: boolean;
}

/**
 * Compares a score with the reference sequence: the response's tokens must be the reference's
 * at the same place, and its log-probs are compared with every reference variant of the
 * precision (the exact integer arithmetic, and x86's saturating int16 pairs for int8 weights).
 */
export function matchReference(
  score: ScoredResponse,
  sequence: ReferenceSequence,
  precision: Precision,
): ReferenceMatch {
  const start = score.contextTokens;
  const ids = sequence.ids.slice(start, start + score.tokenIds.length);
  const sameTokens = ids.length === score.tokenIds.length && ids.every((id, k) => id === score.tokenIds[k]);
  let best: ReferenceMatch = { variant: precision, maxAbsDiff: Infinity, sameTokens };
  for (const [variant, values] of Object.entries(sequence.logProbs)) {
    if (variant !== precision && !variant.startsWith(`${precision}-`)) continue;
    let worst = 0;
    for (let k = 0; k < score.logProbs.length; k++) {
      // Position start + k − 1 predicts the response's k-th token.
      worst = Math.max(worst, Math.abs(score.logProbs[k]! - values[start + k - 1]!));
    }
    if (worst < best.maxAbsDiff) best = { variant, maxAbsDiff: worst, sameTokens };
  }
  return best;
}

/** The reference sequence of one response of one case. */
export function referenceSequence(reference: HubReference, caseName: string, response: string): ReferenceSequence {
  const found = reference.sequences.find((s) => s.case === caseName && s.response === response);
  if (!found) throw new Error(`the reference has no sequence for ${caseName}: ${JSON.stringify(response)}`);
  return found;
}

/** Largest |a − b| over two score arrays of equal length (Infinity when the lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}
