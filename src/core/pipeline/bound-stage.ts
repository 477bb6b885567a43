/**
 * The bound stage of an evaluation (docs/method.md section 4): for every
 * (policy, shifted category) row, the representation JS divergences between the reference and the
 * shifted category's user personas, characters, dialogues and whole inputs (marginal terms, the
 * same for every policy), between the policy's and the golden responses within each category, Ĥ,
 * both forms of the bound, and across all rows the bound's validation (correlation with R-EMID,
 * whether it held).
 *
 * Texts are embedded once each (duplicates share a vector) by the run's encoder.
 */
import type { BenchmarkSample } from '../benchmark/format.js';
import { boundTerms, hHatEstimate, type BoundInputTerms, type BoundTerms } from '../bound/bound.js';
import { representationJsd } from '../bound/rjsd.js';
import { validateBound, type BoundValidation } from '../bound/validation.js';
import { renderCharacter, type RolePlayInput } from '../prompts/prompt.js';
import type { Nats } from '../units.js';
import { GOLD, type PairRecord, type ResultRow } from './types.js';

/** A text encoder as the bound needs it: one L2-normalized vector per text. */
export interface TextEncoder {
  readonly id: string;
  embed(texts: readonly string[]): Promise<readonly Float32Array[]>;
}

/** The texts of one sample's input components, as they are embedded. */
export function inputTexts(x: RolePlayInput): { user: string; character: string; dialogue: string; joint: string } {
  const user = x.userPersona.trim() || '(unknown)';
  const character = renderCharacter(x.agentCharacter) || '(unknown)';
  const dialogue = x.dialogue.map((t) => `${t.role === 'user' ? 'User' : 'Agent'}: ${t.text.trim()}`).join('\n');
  return { user, character, dialogue, joint: [user, character, dialogue].join('\n\n') };
}

export interface BoundStageInput {
  readonly rows: readonly ResultRow[];
  /** The samples each category was evaluated on, in order (pair indices point into these). */
  readonly samples: ReadonlyMap<string, readonly BenchmarkSample[]>;
  readonly responses: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Every scored pair: the golden matched pairs carry the estimator's entropies for Ĥ. */
  readonly pairs: readonly PairRecord[];
  /**
   * Each model policy's predictive entropy over its own response, by sample ID (nats per token).
   * Imported policies have none: the estimator's entropy over their response stands in.
   */
  readonly policyEntropies: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly encoder: TextEncoder;
  /** A user's Ĥ (nats per token) instead of the estimate. */
  readonly hHatOverride?: number;
}

export interface BoundStageOutput {
  /** The rows, each shifted one with its `bound`. */
  readonly rows: readonly ResultRow[];
  /** Across the rows with a bound: correlation of R-EMID with the published bound, and whether it held. */
  readonly validation: BoundValidation;
}

/** Embeds texts with each distinct text embedded once. */
async function embedAll(encoder: TextEncoder, texts: readonly string[]): Promise<Map<string, Float32Array>> {
  const unique = [...new Set(texts)];
  const vectors = unique.length > 0 ? await encoder.embed(unique) : [];
  return new Map(unique.map((t, k) => [t, vectors[k]!]));
}

export async function boundStage(input: BoundStageInput): Promise<BoundStageOutput> {
  const { rows, samples, responses, pairs } = input;
  const shifted = rows.filter((r) => r.reference !== null && r.remid !== null && Number.isFinite(r.remid));
  const involved = new Set(shifted.flatMap((r) => [r.category, r.reference!]));
  const texts = new Map<string, ReturnType<typeof inputTexts>[]>();
  for (const tag of involved) texts.set(tag, (samples.get(tag) ?? []).map(inputTexts));

  const policies = [...new Set(shifted.map((r) => r.policy))];
  const responseTexts = (policy: string, tag: string) =>
    (samples.get(tag) ?? []).map((s) => responses[policy]?.[s.id] ?? '').filter((t) => t.trim() !== '');
  const goldTexts = (tag: string) => (samples.get(tag) ?? []).map((s) => s.goldenResponse);
  const vectors = await embedAll(input.encoder, [
    ...[...texts.values()].flatMap((list) => list.flatMap((t) => [t.user, t.character, t.dialogue, t.joint])),
    ...[...involved].flatMap((tag) => [...goldTexts(tag), ...policies.flatMap((p) => responseTexts(p, tag))]),
  ]);
  const rowsOf = (list: readonly string[]) => list.map((t) => vectors.get(t)!);
  const js = (p: readonly string[], q: readonly string[]): Nats =>
    p.length === 0 || q.length === 0 ? (NaN as Nats) : representationJsd(rowsOf(p), rowsOf(q));

  // The marginal input terms depend only on the two categories: once per shifted category.
  const inputTerms = new Map<string, BoundInputTerms>();
  for (const row of shifted) {
    if (inputTerms.has(row.category)) continue;
    const p = texts.get(row.reference!)!;
    const q = texts.get(row.category)!;
    const term = (k: keyof ReturnType<typeof inputTexts>) =>
      js(
        p.map((t) => t[k]),
        q.map((t) => t[k]),
      );
    inputTerms.set(row.category, {
      user: term('user'),
      character: term('character'),
      dialogue: term('dialogue'),
      joint: term('joint'),
    });
  }

  // Ĥ: per sample, the estimator's entropy over the golden response plus the policy's own over its
  // response (the estimator's over it for imported responses), maximized over both categories.
  const entropyOf = new Map<string, number>();
  for (const p of pairs) {
    if (p.i === p.j && p.meanEntropy !== undefined)
      entropyOf.set(`${p.policy}\u0000${p.category}\u0000${p.i}`, p.meanEntropy);
  }
  const hHatFor = (policy: string, tags: readonly string[]): Nats => {
    const est: number[] = [];
    const pol: number[] = [];
    for (const tag of tags) {
      (samples.get(tag) ?? []).forEach((s, i) => {
        est.push(entropyOf.get(`${GOLD}\u0000${tag}\u0000${i}`) ?? NaN);
        pol.push(input.policyEntropies[policy]?.[s.id] ?? entropyOf.get(`${policy}\u0000${tag}\u0000${i}`) ?? NaN);
      });
    }
    return hHatEstimate(est, pol, input.hHatOverride !== undefined ? { override: input.hHatOverride } : {});
  };

  const withBounds = rows.map((row): ResultRow => {
    if (!shifted.includes(row)) return row;
    const reference = row.reference!;
    const outputTerms = {
      reference: js(responseTexts(row.policy, reference), goldTexts(reference)),
      shifted: js(responseTexts(row.policy, row.category), goldTexts(row.category)),
    };
    // A policy with no response in a category has no output term: its row goes without a bound.
    if (!Number.isFinite(outputTerms.reference) || !Number.isFinite(outputTerms.shifted)) return row;
    let hHat: Nats;
    try {
      hHat = hHatFor(row.policy, [reference, row.category]);
    } catch {
      return row; // no sample with both entropies (every response unscorable)
    }
    const bound: BoundTerms = boundTerms({ inputTerms: inputTerms.get(row.category)!, outputTerms, hHat });
    return { ...row, bound };
  });
  const validation = validateBound(
    withBounds
      .filter((r) => r.bound !== undefined)
      .map((r) => ({ policy: r.policy, category: r.category, remid: r.remid!, bound: r.bound!.published })),
  );
  return { rows: withBounds, validation };
}
