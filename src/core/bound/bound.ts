/**
 * The upper bound on R-EMID for one (policy, shifted category) pair (docs/method.md section 4).
 *
 * Inputs, all representation JS divergences in nats (rjsd.ts), P the reference (in-distribution)
 * category and Q the shifted one:
 *   - input terms JS(P_z ‖ Q_z) for z = user persona, character, dialogue context: each compares
 *     the *marginal* distribution of one component's texts in the two categories; `joint`
 *     compares the whole inputs x = (u, c, d). The component terms are marginal divergences, as the
 *     published form writes them; a chain-rule split of the joint divergence would instead have
 *     conditional terms (c given u, d given u and c), which are not estimated here;
 *   - output terms JS(P_ŷ ‖ P_y*) (`reference`) and JS(Q_ŷ ‖ Q_y*) (`shifted`): the policy's
 *     responses against the golden ones within each category (marginal over x);
 *   - Ĥ, the one conditional quantity: a maximum over x of output entropies given x (and r), in
 *     nats per token (hHatEstimate below).
 *
 * Two forms of the bound:
 *   scaleAdjusted = Σ_z JS_z^{1/2} + JS_P^{1/4} + JS_Q^{1/4}                (Oh et al.'s code, no constants)
 *   published     = sqrt(2/3) · Ĥ · Σ_z JS_z^{1/2} + 8 · Δ^{1/4},  Δ = max(JS_P, JS_Q)
 * The published form is Li et al.'s as third-party summaries give it (Δ's definition is our
 * reading); it is not verified against the paper's text. Only it carries the constants that
 * make it a bound to compare R-EMID with; the scale-adjusted sum is for correlation.
 */
import { nats, type Nats } from '../units.js';

/** The role-play components over which the input term splits. */
export type BoundComponent = 'user' | 'character' | 'dialogue';

export const BOUND_COMPONENTS: readonly BoundComponent[] = ['user', 'character', 'dialogue'];

export interface BoundInputTerms {
  /** JS(P_u ‖ Q_u): user personas, reference vs shifted category (marginal). */
  readonly user: Nats;
  /** JS(P_c ‖ Q_c): character profiles (marginal). */
  readonly character: Nats;
  /** JS(P_d ‖ Q_d): dialogue contexts (marginal). */
  readonly dialogue: Nats;
  /** JS(P_x ‖ Q_x) over whole inputs; reported beside the components, not summed into the bound. */
  readonly joint: Nats;
}

export interface BoundOutputTerms {
  /** JS(P_ŷ ‖ P_y*): the policy's responses vs the golden ones in the reference category. */
  readonly reference: Nats;
  /** JS(Q_ŷ ‖ Q_y*): the same in the shifted category. */
  readonly shifted: Nats;
}

export interface BoundInputs {
  readonly inputTerms: BoundInputTerms;
  readonly outputTerms: BoundOutputTerms;
  /** Ĥ in nats per token (hHatEstimate, or a user's override). */
  readonly hHat: Nats;
}

/** Each component's share JS_z^{1/2} / Σ_z' JS_z'^{1/2} of the input term; they sum to 1. */
export type BoundShares = Readonly<Record<BoundComponent, number>>;

/** A row's `bound` in the results file. */
export interface BoundTerms extends BoundInputs {
  /** Σ_z JS_z^{1/2} + JS_P^{1/4} + JS_Q^{1/4}: the bound without its constants. */
  readonly scaleAdjusted: number;
  /** sqrt(2/3) · Ĥ · Σ_z JS_z^{1/2} + 8 · max(JS_P, JS_Q)^{1/4}, comparable with R-EMID. */
  readonly published: number;
  /**
   * The "which shift" answer. null when every input term is 0 (the categories' inputs are
   * indistinguishable, so no component drives anything; equal thirds would claim otherwise).
   */
  readonly shares: BoundShares | null;
}

function checkNonNegative(value: number, name: string): void {
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`${name} must be a finite non-negative number, got ${value}`);
}

/**
 * Both forms of the bound and the input term's shares. Throws a RangeError for a negative or
 * non-finite term or Ĥ.
 */
export function boundTerms(inputs: BoundInputs): BoundTerms {
  const { inputTerms, outputTerms, hHat } = inputs;
  for (const key of [...BOUND_COMPONENTS, 'joint'] as const) checkNonNegative(inputTerms[key], `inputTerms.${key}`);
  checkNonNegative(outputTerms.reference, 'outputTerms.reference');
  checkNonNegative(outputTerms.shifted, 'outputTerms.shifted');
  checkNonNegative(hHat, 'hHat');

  const roots = {
    user: Math.sqrt(inputTerms.user),
    character: Math.sqrt(inputTerms.character),
    dialogue: Math.sqrt(inputTerms.dialogue),
  };
  const inputSum = roots.user + roots.character + roots.dialogue;
  const delta = Math.max(outputTerms.reference, outputTerms.shifted);
  const scaleAdjusted = inputSum + Math.pow(outputTerms.reference, 0.25) + Math.pow(outputTerms.shifted, 0.25);
  const published = Math.sqrt(2 / 3) * hHat * inputSum + 8 * Math.pow(delta, 0.25);
  const shares =
    inputSum > 0
      ? { user: roots.user / inputSum, character: roots.character / inputSum, dialogue: roots.dialogue / inputSum }
      : null;
  return {
    inputTerms: { ...inputTerms },
    outputTerms: { ...outputTerms },
    hHat,
    scaleAdjusted,
    published,
    shares,
  };
}

export interface HHatOptions {
  /** A user's Ĥ in nats per token; when given it is returned as is (after checking it). */
  readonly override?: number;
}

/**
 * Ĥ, the maximum conditional entropy of the bound, estimated as
 *   Ĥ = max_i ( h_est(i) + h_pol(i) ),
 * where h_est(i) is the estimator's mean per-token predictive entropy over the golden response
 * of sample i (standing in for the entropy of the reference's output distribution, conditioned on
 * x_i and, with reasoning, r_i) and h_pol(i) the policy's mean per-token predictive entropy over
 * its own response to x_i, both in nats per token. Pass the samples of both the reference and the
 * shifted category so the maximum runs over every x the bound speaks of. Samples where either
 * entropy is not finite (a response that could not be scored) are left out.
 *
 * Throws a RangeError when the arrays differ in length, an entropy is negative, or no sample is
 * usable; `override` (a finite non-negative number) skips the estimate.
 */
export function hHatEstimate(
  estimatorEntropies: readonly number[],
  policyEntropies: readonly number[],
  options: HHatOptions = {},
): Nats {
  if (options.override !== undefined) {
    checkNonNegative(options.override, 'hHat override');
    return nats(options.override);
  }
  if (estimatorEntropies.length !== policyEntropies.length)
    throw new RangeError(
      `estimator and policy entropies differ in length (${estimatorEntropies.length} vs ${policyEntropies.length})`,
    );
  let max = -Infinity;
  estimatorEntropies.forEach((est, i) => {
    const pol = policyEntropies[i]!;
    if (!Number.isFinite(est) || !Number.isFinite(pol)) return;
    if (est < 0 || pol < 0) throw new RangeError(`sample ${i} has a negative entropy`);
    max = Math.max(max, est + pol);
  });
  if (max === -Infinity) throw new RangeError('no sample has finite estimator and policy entropies');
  return nats(max);
}
