/**
 * The training-method comparison's report (scripts/compare-methods.ts): from one results file per
 * estimator, each policy's R-EMID per shift family with its interval and rank, and its difference
 * from the SFT base with a paired bootstrap interval, the same numbers the Results view's Compare
 * shows (comparePolicies, policyRanks); each shifted category's R-EMID with its interval; then the
 * markdown tables of docs/methods/comparison.md.
 */
import { comparePolicies, policyRanks, type ResultsFile } from '../../src/core/index.js';

export const FAMILIES = ['user', 'character', 'dialogue'] as const;
type Family = (typeof FAMILIES)[number];

export interface MethodPolicy {
  readonly id: string;
  /** How it was trained (the manifest's `method`). */
  readonly method: string;
}

interface FamilyFigures {
  readonly remid: number;
  readonly ci: readonly [number, number];
  readonly rank: number | null;
  /** This policy's R-EMID minus the base's, with a paired 95% interval; absent for the base. */
  readonly vsBase?: { readonly difference: number; readonly ci: readonly [number, number] };
}

export interface EstimatorReport {
  readonly estimator: string;
  readonly description: string;
  readonly policies: readonly {
    readonly id: string;
    readonly method: string;
    readonly families: Partial<Record<Family, FamilyFigures>>;
    /** R-EMID per shifted category (tag), with its 95% interval. */
    readonly categories: Readonly<Record<string, { readonly remid: number; readonly ci: readonly [number, number] }>>;
  }[];
  /** Per family, the policy ids by rank (least R-EMID first). */
  readonly order: Partial<Record<Family, readonly string[]>>;
}

/** One estimator's part of the report; `base` is the policy the others are paired against. */
export function estimatorReport(
  file: ResultsFile,
  estimator: string,
  description: string,
  policies: readonly MethodPolicy[],
  base: string,
): EstimatorReport {
  const ranks = policyRanks(file).byFamily;
  const paired = Object.fromEntries(
    policies.filter((p) => p.id !== base).map((p) => [p.id, comparePolicies(file, base, p.id)]),
  );
  const rows = policies.map((p) => {
    const families: Partial<Record<Family, FamilyFigures>> = {};
    for (const family of FAMILIES) {
      const row = file.families.find((f) => f.policy === p.id && f.family === family);
      if (!row) continue;
      const vs = paired[p.id]?.families.find((f) => f.family === family);
      families[family] = {
        remid: row.remid,
        ci: row.remidCi,
        rank: ranks[family]?.[p.id] ?? null,
        ...(vs ? { vsBase: { difference: vs.difference, ci: vs.ci } } : {}),
      };
    }
    const categories = Object.fromEntries(
      file.rows
        .filter((r) => r.policy === p.id && r.remid !== null && r.remidCi !== null)
        .map((r) => [r.category, { remid: r.remid!, ci: r.remidCi! }]),
    );
    return { id: p.id, method: p.method, families, categories };
  });
  const order: Partial<Record<Family, string[]>> = {};
  for (const family of FAMILIES) {
    const ranked = rows.filter((r) => r.families[family]?.rank != null);
    if (ranked.length === 0) continue;
    order[family] = ranked
      .sort((a, b) => a.families[family]!.rank! - b.families[family]!.rank! || a.id.localeCompare(b.id))
      .map((r) => r.id);
  }
  return { estimator, description, policies: rows, order };
}

const num = (v: number, digits = 3) => v.toFixed(digits);
const interval = (ci: readonly [number, number]) => `[${num(ci[0])}, ${num(ci[1])}]`;

/** The markdown tables of one estimator's report. */
export function reportMarkdown(report: EstimatorReport): string {
  const families = FAMILIES.filter((f) => report.order[f]);
  const lines = [
    `### ${report.description}`,
    '',
    '| policy | method | ' + families.map((f) => `${f}: R-EMID (rank)`).join(' | ') + ' |',
    '| --- | --- | ' + families.map(() => '---').join(' | ') + ' |',
  ];
  for (const p of report.policies) {
    const cells = families.map((f) => {
      const fig = p.families[f];
      return fig ? `${num(fig.remid)} ${interval(fig.ci)} (${fig.rank ?? '–'})` : '–';
    });
    lines.push(`| ${p.id} | ${p.method} | ${cells.join(' | ')} |`);
  }
  lines.push(
    '',
    'Difference from the SFT base (this policy − the base, paired bootstrap; below 0: generalizes better):',
    '',
    '| policy | ' + families.join(' | ') + ' |',
    '| --- | ' + families.map(() => '---').join(' | ') + ' |',
  );
  for (const p of report.policies) {
    if (!families.some((f) => p.families[f]?.vsBase)) continue;
    const cells = families.map((f) => {
      const vs = p.families[f]?.vsBase;
      return vs ? `${vs.difference >= 0 ? '+' : ''}${num(vs.difference)} ${interval(vs.ci)}` : '–';
    });
    lines.push(`| ${p.id} | ${cells.join(' | ')} |`);
  }
  const categories = [...new Set(report.policies.flatMap((p) => Object.keys(p.categories)))];
  lines.push(
    '',
    'R-EMID per shifted category:',
    '',
    '| category | ' + report.policies.map((p) => p.id).join(' | ') + ' |',
    '| --- | ' + report.policies.map(() => '---').join(' | ') + ' |',
  );
  for (const category of categories) {
    const cells = report.policies.map((p) => {
      const fig = p.categories[category];
      return fig ? `${num(fig.remid)} ${interval(fig.ci)}` : '–';
    });
    lines.push(`| ${category} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}
