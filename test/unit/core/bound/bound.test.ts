import { describe, expect, it } from 'vitest';
import { boundTerms, hHatEstimate, type BoundInputs } from '../../../../src/core/bound/bound.js';
import { nats } from '../../../../src/core/units.js';

// Terms chosen so every root is exact: √0.04 = 0.2, √0.01 = 0.1, √0.09 = 0.3, 0.0016^{1/4} = 0.2,
// 0.0081^{1/4} = 0.3.
const inputs: BoundInputs = {
  inputTerms: { user: nats(0.04), character: nats(0.01), dialogue: nats(0.09), joint: nats(0.05) },
  outputTerms: { reference: nats(0.0016), shifted: nats(0.0081) },
  hHat: nats(3),
};

describe('boundTerms', () => {
  it('computes both forms and the shares on a tiny synthetic case', () => {
    const b = boundTerms(inputs);
    // Σ_z JS_z^{1/2} = 0.2 + 0.1 + 0.3 = 0.6.
    // scaleAdjusted = 0.6 + 0.0016^{1/4} + 0.0081^{1/4} = 0.6 + 0.2 + 0.3 = 1.1.
    expect(b.scaleAdjusted).toBeCloseTo(1.1, 12);
    // Δ = max(0.0016, 0.0081) = 0.0081, Δ^{1/4} = 0.3.
    // published = √(2/3) · 3 · 0.6 + 8 · 0.3 = 1.8 · 0.816496580927726 + 2.4 = 3.869693845669907.
    expect(b.published).toBeCloseTo(3.869693845669907, 12);
    // Shares of 0.6: 0.2/0.6, 0.1/0.6, 0.3/0.6.
    expect(b.shares!.user).toBeCloseTo(1 / 3, 12);
    expect(b.shares!.character).toBeCloseTo(1 / 6, 12);
    expect(b.shares!.dialogue).toBeCloseTo(1 / 2, 12);
    expect(b.shares!.user + b.shares!.character + b.shares!.dialogue).toBeCloseTo(1, 14);
    // The inputs are carried into the results row unchanged.
    expect(b.inputTerms).toEqual(inputs.inputTerms);
    expect(b.outputTerms).toEqual(inputs.outputTerms);
    expect(b.hHat).toBe(3);
  });

  it('takes Δ as the larger output term and leaves the joint term out of the sums', () => {
    const swapped = boundTerms({ ...inputs, outputTerms: { reference: nats(0.0081), shifted: nats(0.0016) } });
    expect(swapped.published).toBeCloseTo(3.869693845669907, 12);
    expect(swapped.scaleAdjusted).toBeCloseTo(1.1, 12);
    const joint = boundTerms({ ...inputs, inputTerms: { ...inputs.inputTerms, joint: nats(0.6) } });
    expect(joint.published).toBe(boundTerms(inputs).published);
    expect(joint.scaleAdjusted).toBe(boundTerms(inputs).scaleAdjusted);
  });

  it('scales the input part of the published form with Ĥ only', () => {
    // Ĥ = 0: published = 8 · 0.3 = 2.4; Ĥ = 1: √(2/3) · 0.6 + 2.4 = 0.4898979485566356 + 2.4.
    expect(boundTerms({ ...inputs, hHat: nats(0) }).published).toBeCloseTo(2.4, 12);
    expect(boundTerms({ ...inputs, hHat: nats(1) }).published).toBeCloseTo(2.889897948556636, 12);
    expect(boundTerms({ ...inputs, hHat: nats(1) }).scaleAdjusted).toBeCloseTo(1.1, 12);
  });

  it('has no shares when every input term is 0', () => {
    const b = boundTerms({
      ...inputs,
      inputTerms: { user: nats(0), character: nats(0), dialogue: nats(0), joint: nats(0) },
    });
    expect(b.shares).toBeNull();
    // 0 + 0.2 + 0.3 and 0 + 8 · 0.3.
    expect(b.scaleAdjusted).toBeCloseTo(0.5, 12);
    expect(b.published).toBeCloseTo(2.4, 12);
  });

  it('rejects negative or non-finite terms', () => {
    expect(() => boundTerms({ ...inputs, inputTerms: { ...inputs.inputTerms, user: nats(-0.1) } })).toThrow(
      /inputTerms.user/,
    );
    expect(() => boundTerms({ ...inputs, inputTerms: { ...inputs.inputTerms, joint: nats(NaN) } })).toThrow(
      /inputTerms.joint/,
    );
    expect(() => boundTerms({ ...inputs, outputTerms: { ...inputs.outputTerms, shifted: nats(Infinity) } })).toThrow(
      /outputTerms.shifted/,
    );
    expect(() => boundTerms({ ...inputs, hHat: nats(-1) })).toThrow(/hHat/);
  });
});

describe('hHatEstimate', () => {
  it('is the maximum over samples of estimator plus policy entropy, skipping unscored samples', () => {
    // Sums: 1.2 + 0.9 = 2.1, 2.0 + 0.3 = 2.3, 0.5 + 2.1 = 2.6; the fourth has no estimator entropy.
    expect(hHatEstimate([1.2, 2.0, 0.5, NaN], [0.9, 0.3, 2.1, 5])).toBeCloseTo(2.6, 12);
    // Not the maximum of each separately (2.0 + 2.1 = 4.1).
    expect(hHatEstimate([1.2, 2.0, 0.5], [0.9, 0.3, 2.1])).not.toBeCloseTo(4.1, 6);
  });

  it('returns an override as is, checked', () => {
    expect(hHatEstimate([1], [1], { override: 4.5 })).toBe(4.5);
    expect(hHatEstimate([], [], { override: 0 })).toBe(0);
    expect(() => hHatEstimate([1], [1], { override: -1 })).toThrow(/override/);
    expect(() => hHatEstimate([1], [1], { override: NaN })).toThrow(/override/);
  });

  it('rejects mismatched lengths, negative entropies and no usable sample', () => {
    expect(() => hHatEstimate([1, 2], [1])).toThrow(/differ in length/);
    expect(() => hHatEstimate([1, -0.5], [1, 1])).toThrow(/sample 1 has a negative entropy/);
    expect(() => hHatEstimate([NaN], [1])).toThrow(/no sample/);
    expect(() => hHatEstimate([], [])).toThrow(/no sample/);
  });
});
