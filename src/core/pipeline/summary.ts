/**
 * The metrics stage of an evaluation run: from the scored tables, each policy's rows (MI of its
 * and the golden responses, EMI, R-EMID) per category and per shift family, with bootstrap
 * intervals once every category is scored, or as point estimates while a run is still going.
 */
import type { Benchmark, ShiftFamily } from '../benchmark/format.js';
import { estimateMi, remidWithIntervals, type CategoryScores, type MiEstimatorKind } from '../metrics/bootstrap.js';
import { emi, remid } from '../metrics/mi.js';
import { goldenPerplexity } from '../metrics/perplexity.js';
import { nats } from '../units.js';
import type { Table } from './scoring.js';
import { GOLD, type EvaluationSettings, type FamilyRow, type ResultRow, type ShiftName } from './types.js';

/** Scored tables by category tag, then responder. */
type Scores = ReadonlyMap<string, ReadonlyMap<string, Table>>;

const shiftOf = (family: ShiftFamily): ShiftName => (family === 'in-distribution' ? 'none' : family);

/**
 * A category's row without its interval: MI, EMI, and R-EMID when its reference category is
 * scored (the same point estimates summarize gives).
 */
export function pointRow(
  category: Benchmark['categories'][number],
  policy: string,
  scores: Scores,
  sizes: ReadonlyMap<string, number>,
  kind: MiEstimatorKind,
): ResultRow {
  const mi = (tag: string, responder: string) =>
    nats(estimateMi(kind, scores.get(tag)!.get(responder)!, new Array<number>(sizes.get(tag)!).fill(1)));
  const emiOf = (tag: string) => emi(mi(tag, policy), mi(tag, GOLD));
  const reference = category.reference;
  return {
    policy,
    category: category.tag,
    shift: shiftOf(category.family),
    reference,
    n: sizes.get(category.tag)!,
    miModel: mi(category.tag, policy),
    miGold: mi(category.tag, GOLD),
    emi: emiOf(category.tag),
    remid: reference !== null && scores.has(reference) ? remid(emiOf(reference), emiOf(category.tag)) : null,
    remidCi: null,
    goldPerplexity: goldenPerplexity({
      matched: { [category.tag]: scores.get(category.tag)!.get(GOLD)!.matched },
      replicates: 0,
      seed: 0,
    }).byCategory[category.tag]!.estimate,
    goldPerplexityCi: null,
  };
}

/** MI, EMI and R-EMID with intervals for one policy, per category and per shift family. */
export function summarize(
  benchmark: Benchmark,
  policy: string,
  scores: Scores,
  sizes: ReadonlyMap<string, number>,
  settings: EvaluationSettings,
  kind: MiEstimatorKind,
): { rows: ResultRow[]; families: FamilyRow[] } {
  const shifts = benchmark.categories
    .filter((c) => c.reference !== null)
    .map((c) => ({ tag: c.tag, reference: c.reference! }));
  const familyTags: Record<string, string[]> = {};
  for (const c of benchmark.categories) if (c.reference !== null) (familyTags[c.family] ??= []).push(c.tag);
  const categoryScores: Record<string, CategoryScores> = {};
  for (const c of benchmark.categories) {
    const tables = scores.get(c.tag)!;
    categoryScores[c.tag] = { n: sizes.get(c.tag)!, model: tables.get(policy)!, gold: tables.get(GOLD)! };
  }
  const result = remidWithIntervals({
    categories: categoryScores,
    shifts,
    families: familyTags,
    replicates: settings.bootstrapReplicates,
    seed: settings.seed,
    estimator: kind,
  });
  const perplexity = goldenPerplexity({
    matched: Object.fromEntries(benchmark.categories.map((c) => [c.tag, categoryScores[c.tag]!.gold.matched])),
    families: familyTags,
    replicates: settings.bootstrapReplicates,
    seed: settings.seed,
  });
  const rows = benchmark.categories.map((c): ResultRow => {
    const s = categoryScores[c.tag]!;
    const ones = new Array<number>(s.n).fill(1);
    const interval = result.byCategory[c.tag];
    const ppl = perplexity.byCategory[c.tag]!;
    return {
      policy,
      category: c.tag,
      shift: shiftOf(c.family),
      reference: c.reference,
      n: s.n,
      miModel: nats(estimateMi(kind, s.model, ones)),
      miGold: nats(estimateMi(kind, s.gold, ones)),
      emi: result.emi[c.tag]!,
      remid: interval ? interval.estimate : null,
      remidCi: interval ? [interval.low, interval.high] : null,
      goldPerplexity: ppl.estimate,
      goldPerplexityCi: [ppl.low, ppl.high],
    };
  });
  const families = Object.entries(familyTags).map(([family, tags]): FamilyRow => {
    const interval = result.byFamily[family]!;
    const ppl = perplexity.byFamily[family]!;
    return {
      policy,
      family: family as FamilyRow['family'],
      n: tags.reduce((sum, t) => sum + categoryScores[t]!.n, 0),
      remid: interval.estimate,
      remidCi: [interval.low, interval.high],
      goldPerplexity: ppl.estimate,
      goldPerplexityCi: [ppl.low, ppl.high],
    };
  });
  return { rows, families };
}
