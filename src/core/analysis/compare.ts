/**
 * Comparing policies from a results file (the Results view's "Compare"): R-EMID of two policies per
 * shifted category and per shift family, their difference b − a with a paired percentile
 * bootstrap interval, and each policy's rank.
 *
 * Everything is recomputed from the file's scored pairs, the way the pipeline computed it
 * (run.ts scoreCategory and summarize): per category and responder, `i === j` pairs are the
 * matched scores, `i >= 0 && i !== j` the mismatched ones (in file order), `i === -1` the null
 * context's (null-prompt estimator only); the estimator is the file's
 * `manifest.settings.estimatorKind`. So the point estimates are the file's own rows' R-EMID.
 *
 * The bootstrap is paired: each replicate resamples every category's samples once and applies
 * the same multiplicities to both policies and to the shared golden responses, so the interval
 * is for the difference on the same samples (docs/method.md section 3; bootstrap.ts). The categories
 * are resampled in the order remidWithIntervals uses, so with the file's seed and replicate
 * count each policy's replicates are exactly those behind its row's interval.
 */
import type { ResultsFile } from '../pipeline/results.js';
import { GOLD, type ResultRow } from '../pipeline/types.js';
import { createRng } from '../random.js';
import { nats } from '../units.js';
import {
  DEFAULT_BOOTSTRAP_REPLICATES,
  estimateMi,
  familyMean,
  quantile,
  resampleWeights,
  type MiEstimatorKind,
} from '../metrics/bootstrap.js';
import { emi, remid, type ScoredPair } from '../metrics/mi.js';

export interface PolicyComparison {
  readonly policies: readonly [string, string]; // a, b
  /** Per shifted category: R-EMID of each, the difference b − a with a paired 95% bootstrap interval. */
  readonly categories: readonly {
    category: string;
    family: string;
    remidA: number;
    remidB: number;
    difference: number;
    ci: readonly [number, number];
  }[];
  /** Per shift family (sample-weighted, as the results' families are). */
  readonly families: readonly {
    family: string;
    remidA: number;
    remidB: number;
    difference: number;
    ci: readonly [number, number];
  }[];
}

export interface CompareOptions {
  /** Bootstrap replicates (default: the file's `settings.bootstrapReplicates`). */
  readonly replicates?: number;
  /** Seed of the resampling (default: the file's `settings.seed`). */
  readonly seed?: number;
  /** Confidence level of the interval (default 0.95). */
  readonly level?: number;
}

/** A responder's score tables, rebuilt from the file's pairs, by category. */
type Table = { matched: number[]; mismatched: ScoredPair[]; nullScores?: number[] };

/** The policies of the file's rows, in order of first appearance. */
function policiesOf(file: ResultsFile): string[] {
  return [...new Set(file.rows.map((r) => r.policy))];
}

function rowsOf(file: ResultsFile, policy: string): ResultRow[] {
  const rows = file.rows.filter((r) => r.policy === policy);
  if (rows.length === 0) {
    const known = policiesOf(file)
      .map((p) => `"${p}"`)
      .join(', ');
    throw new RangeError(`no policy "${policy}" in the results file (its policies: ${known || 'none'})`);
  }
  return rows;
}

/**
 * Each responder's score tables per category, as scoreCategory filled them: matched and
 * null-context scores NaN where no pair was recorded (unscorable), mismatched pairs in file order.
 */
function scoreTables(
  file: ResultsFile,
  responders: readonly string[],
  sizes: ReadonlyMap<string, number>,
  kind: MiEstimatorKind,
): Map<string, Map<string, Table>> {
  const withNull = kind === 'null-prompt';
  const tables = new Map(
    responders.map((responder) => [
      responder,
      new Map(
        [...sizes].map(([tag, n]): [string, Table] => [
          tag,
          {
            matched: new Array<number>(n).fill(NaN),
            mismatched: [],
            ...(withNull ? { nullScores: new Array<number>(n).fill(NaN) } : {}),
          },
        ]),
      ),
    ]),
  );
  for (const p of file.pairs) {
    const table = tables.get(p.policy)?.get(p.category);
    if (!table) continue;
    const n = sizes.get(p.category)!;
    const index = (k: number, min: number) => Number.isInteger(k) && k >= min && k < n;
    if (!index(p.j, 0) || !index(p.i, -1)) {
      throw new RangeError(
        `pair (${p.i}, ${p.j}) of "${p.policy}" in category "${p.category}" is outside its ${n} samples`,
      );
    }
    if (p.i === -1) {
      if (table.nullScores) table.nullScores[p.j] = p.meanLogProb;
    } else if (p.i === p.j) table.matched[p.i] = p.meanLogProb;
    else table.mismatched.push({ i: p.i, j: p.j, score: p.meanLogProb });
  }
  return tables;
}

const intervalOf = (values: number[], level: number): readonly [number, number] => {
  const alpha = (1 - level) / 2;
  const sorted = values.sort((x, y) => x - y);
  return [quantile(sorted, alpha), quantile(sorted, 1 - alpha)];
};

/**
 * R-EMID of policies `a` and `b` per shifted category and family, and b − a with a paired
 * percentile bootstrap interval (seeded: same options, same interval). Positive difference =
 * b loses more information under the shift than a. Throws a RangeError for a policy the file
 * has no rows for, or when the two policies' rows do not cover the same categories.
 */
export function comparePolicies(
  file: ResultsFile,
  a: string,
  b: string,
  options: CompareOptions = {},
): PolicyComparison {
  const settings = file.manifest.settings;
  const kind = settings.estimatorKind ?? 'reference';
  const replicates = options.replicates ?? settings.bootstrapReplicates ?? DEFAULT_BOOTSTRAP_REPLICATES;
  const seed = options.seed ?? settings.seed ?? 0;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(replicates) || replicates < 0) {
    throw new RangeError(`replicates must be a non-negative integer, got ${replicates}`);
  }
  if (!(level > 0 && level < 1)) throw new RangeError(`level must lie strictly between 0 and 1, got ${level}`);

  const rowsA = rowsOf(file, a);
  const rowsB = rowsOf(file, b);
  const layout = (rows: readonly ResultRow[]) => rows.map((r) => `${r.category}:${r.n}`).join('\n');
  if (layout(rowsA) !== layout(rowsB)) {
    throw new RangeError(`policies "${a}" and "${b}" were not evaluated on the same categories and samples`);
  }
  const sizes = new Map(rowsA.map((r) => [r.category, r.n]));
  const shifts = rowsA
    .filter((r) => r.reference !== null)
    .map((r) => ({ tag: r.category, reference: r.reference!, family: r.shift }));
  for (const { tag, reference } of shifts) {
    if (!sizes.has(reference))
      throw new RangeError(`category "${tag}" is compared with "${reference}", which has no row`);
  }
  const familyTags: Record<string, string[]> = {};
  for (const s of shifts) (familyTags[s.family] ??= []).push(s.tag);

  const tables = scoreTables(file, [...new Set([GOLD, a, b])], sizes, kind);
  const gold = tables.get(GOLD)!;
  const tablesA = tables.get(a)!;
  const tablesB = tables.get(b)!;
  const tags = [...sizes.keys()].sort(); // remidWithIntervals' order of resampling
  const categories = Object.fromEntries([...sizes].map(([tag, n]) => [tag, { n }]));

  /** R-EMID of both policies per shifted category, with the given multiplicities per category. */
  const remids = (weights: ReadonlyMap<string, ArrayLike<number>>) => {
    const emiA = new Map<string, number>();
    const emiB = new Map<string, number>();
    for (const tag of tags) {
      const w = weights.get(tag)!;
      const miGold = nats(estimateMi(kind, gold.get(tag)!, w)); // shared by both policies
      emiA.set(tag, emi(nats(estimateMi(kind, tablesA.get(tag)!, w)), miGold));
      emiB.set(tag, emi(nats(estimateMi(kind, tablesB.get(tag)!, w)), miGold));
    }
    const remidOf = (e: ReadonlyMap<string, number>): Record<string, number> =>
      Object.fromEntries(shifts.map(({ tag, reference }) => [tag, remid(nats(e.get(reference)!), nats(e.get(tag)!))]));
    return [remidOf(emiA), remidOf(emiB)] as const;
  };

  const [fullA, fullB] = remids(new Map(tags.map((t) => [t, new Uint32Array(sizes.get(t)!).fill(1)])));
  const familyFull = (values: Record<string, number>, family: string) =>
    familyMean(values, familyTags[family]!, categories);

  const rng = createRng(seed);
  const draws: Record<string, number[]> = Object.fromEntries(shifts.map((s) => [s.tag, []]));
  const familyDraws: Record<string, number[]> = Object.fromEntries(Object.keys(familyTags).map((f) => [f, []]));
  for (let r = 0; r < replicates; r++) {
    const weights = new Map(tags.map((t) => [t, resampleWeights(sizes.get(t)!, rng)]));
    const [va, vb] = remids(weights);
    for (const { tag } of shifts) {
      const d = vb[tag]! - va[tag]!;
      if (Number.isFinite(d)) draws[tag]!.push(d);
    }
    for (const family of Object.keys(familyTags)) {
      const d = familyFull(vb, family) - familyFull(va, family);
      if (Number.isFinite(d)) familyDraws[family]!.push(d);
    }
  }

  return {
    policies: [a, b],
    categories: shifts.map(({ tag, family }) => ({
      category: tag,
      family,
      remidA: fullA[tag]!,
      remidB: fullB[tag]!,
      difference: fullB[tag]! - fullA[tag]!,
      ci: intervalOf(draws[tag]!, level),
    })),
    families: Object.keys(familyTags).map((family) => {
      const remidA = familyFull(fullA, family);
      const remidB = familyFull(fullB, family);
      return { family, remidA, remidB, difference: remidB - remidA, ci: intervalOf(familyDraws[family]!, level) };
    }),
  };
}

export interface PolicyRanks {
  /** Shifted category → policy → rank (1 = least R-EMID); policies without a finite R-EMID are left out. */
  readonly byCategory: Record<string, Record<string, number>>;
  /** Shift family → policy → rank, from the file's family rows. */
  readonly byFamily: Record<string, Record<string, number>>;
  /**
   * Where ranks change between categories: each pair of policies (in the file's order) that one
   * shifted category orders one way and another the other way, with the categories where each
   * ranks better. Empty when every category orders the policies alike.
   */
  readonly reversals: readonly {
    readonly a: string;
    readonly b: string;
    readonly aBetter: readonly string[];
    readonly bBetter: readonly string[];
  }[];
}

/** Competition ranks ("1224"): 1 + the number of policies with strictly less R-EMID. */
function ranksOf(entries: readonly { policy: string; remid: number | null }[]): Record<string, number> {
  const finite = entries.filter((e): e is { policy: string; remid: number } => Number.isFinite(e.remid));
  return Object.fromEntries(finite.map((e) => [e.policy, 1 + finite.filter((o) => o.remid < e.remid).length]));
}

/**
 * Each policy's rank (1 = least R-EMID, i.e. generalizes best) per shifted category and per
 * family, from the file's rows and family rows, and where ranks change between categories.
 * Tied policies share a rank.
 */
export function policyRanks(file: ResultsFile): PolicyRanks {
  const group = <T extends { policy: string; remid: number | null }>(items: readonly T[], key: (t: T) => string) => {
    const groups: Record<string, T[]> = {};
    for (const item of items) (groups[key(item)] ??= []).push(item);
    return Object.fromEntries(Object.entries(groups).map(([k, g]) => [k, ranksOf(g)]));
  };
  const byCategory = group(
    file.rows.filter((r) => r.reference !== null),
    (r) => r.category,
  );
  const byFamily = group(file.families, (f) => f.family);

  const policies = policiesOf(file);
  const reversals: PolicyRanks['reversals'][number][] = [];
  policies.forEach((a, k) => {
    for (const b of policies.slice(k + 1)) {
      const aBetter: string[] = [];
      const bBetter: string[] = [];
      for (const [category, ranks] of Object.entries(byCategory)) {
        const [ra, rb] = [ranks[a], ranks[b]];
        if (ra === undefined || rb === undefined || ra === rb) continue;
        (ra < rb ? aBetter : bBetter).push(category);
      }
      if (aBetter.length > 0 && bBetter.length > 0) reversals.push({ a, b, aBetter, bBetter });
    }
  });
  return { byCategory, byFamily, reversals };
}
