/**
 * What `npm run evaluate` prints: a progress line per stage on stderr while it runs (one line
 * rewritten in place on a terminal, a line every 10 s in logs), then the results on stdout: R-EMID
 * per policy and category with its interval and the bound, the bound's validation, the shift
 * families, the estimator's perplexity of the golden responses, and the run's timings and counts
 * of truncated or unscorable inputs.
 */
import type { ResultsFile } from '../../src/core/index.js';
import type { ProgressListener } from '../../src/protocol/evaluation-service.js';

/** What the results' heading says about how they were computed. */
export interface ReportHeading {
  readonly scorer: string;
  readonly template: string;
  readonly estimatorKind: string;
  readonly reasoning: string;
  readonly thought: string | undefined;
  /** Whether the bound was computed (its columns are shown). */
  readonly bound: boolean;
}

const fmt = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);

/** "generate policy-a 120/600 · 3.1/s · ETA 2m35s" on one stderr line. */
export function progressPrinter(): ProgressListener {
  let stageStart = performance.now();
  let stageName = '';
  let lastLine = 0;
  return (p) => {
    if (p.stage === 'load') {
      if (p.done === 0) process.stderr.write(`load ${p.subject}\n`);
      return;
    }
    const name = `${p.stage} ${p.subject}`.trim();
    const now = performance.now();
    if (name !== stageName) {
      stageName = name;
      stageStart = now;
    }
    const rate = p.done / Math.max((now - stageStart) / 1000, 1e-3);
    const eta = (p.total - p.done) / rate;
    const etaText = Number.isFinite(eta)
      ? `${Math.floor(eta / 60)}m${String(Math.round(eta % 60)).padStart(2, '0')}s`
      : '?';
    const line = `${name} ${p.done}/${p.total} · ${rate.toFixed(1)}/s · ETA ${etaText}`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${line}   ${p.done === p.total ? '\n' : ''}`);
    } else if (p.done === p.total || now - lastLine > 10_000) {
      // Logs get a line every 10 s rather than a stream of carriage returns.
      lastLine = now;
      process.stderr.write(line + '\n');
    }
  };
}

/** One line per row: n, both MIs, EMI, R-EMID with its interval, and the bound with its shares. */
function printRows(rows: ResultsFile['rows'], policyWidth: number, bound: boolean): void {
  console.log(
    'policy'.padEnd(policyWidth) +
      'category'.padEnd(22) +
      'shift'.padEnd(10) +
      '   n   MI(ŷ)   MI(y*)    EMI   R-EMID  95% CI'.padEnd(62) +
      (bound ? '  bound  (user/char/dial share)' : ''),
  );
  for (const r of rows) {
    const ci = r.remidCi ? `[${fmt(r.remidCi[0])}, ${fmt(r.remidCi[1])}]` : '';
    const b = r.bound;
    const boundText = b
      ? `${fmt(b.published).padStart(7)}  ` +
        (b.shares ? `(${fmt(b.shares.user, 2)}/${fmt(b.shares.character, 2)}/${fmt(b.shares.dialogue, 2)})` : '')
      : '';
    console.log(
      `${r.policy.padEnd(policyWidth)}${r.category.padEnd(22)}${r.shift.padEnd(10)}` +
        `${String(r.n).padStart(4)} ${fmt(r.miModel).padStart(7)} ${fmt(r.miGold).padStart(7)} ${fmt(r.emi).padStart(7)} ${fmt(r.remid).padStart(7)}  ${ci}`.padEnd(
          62,
        ) +
        boundText,
    );
  }
}

/** The bound's validation (when computed), the shift families, then timings and counts. */
function printSummary(results: ResultsFile, policyWidth: number): void {
  const { families, manifest } = results;
  const v = results.boundValidation;
  if (v) {
    console.log(
      `
bound (published form; encoder ${manifest.encoder?.id}): held for ${v.n - v.violations.length} of ${v.n} pairs; ` +
        `Pearson r ${fmt(v.pearson)} (p ${fmt(v.pearsonP, 4)}), Spearman ρ ${fmt(v.spearman)} (p ${fmt(v.spearmanP, 4)})`,
    );
  }
  console.log('\nper shift family (sample-weighted)');
  for (const f of families) {
    console.log(
      `${f.policy.padEnd(policyWidth)}${f.family.padEnd(12)}${String(f.n).padStart(5)} ${fmt(f.remid).padStart(7)}  [${fmt(f.remidCi[0])}, ${fmt(f.remidCi[1])}]`,
    );
  }
  printPerplexity(results);
  const c = manifest.counts;
  const t = manifest.timings;
  console.log(
    `\n${t['totalSeconds']} s; ${t['computed']} scores and generations computed, ${t['cacheHits']} from the cache; ` +
      `truncated: ${c.truncatedPrompts} prompts, ${c.truncatedThoughtPrompts} thought prompts, ` +
      `${c.unanswerablePrompts} too long to answer at all, ` +
      `${c.truncatedContexts} estimator contexts; ${c.emptyResponses} empty responses; ` +
      `${c.unscorablePairs} pairs too long to score`,
  );
}

/**
 * The estimator's perplexity of the golden responses per category and family, with 95%
 * intervals: the same for every policy (it grades the scorer), so printed once, from the first
 * policy's rows. Results files written before it was recorded have none.
 */
function printPerplexity(results: ResultsFile): void {
  const first = results.rows[0]?.policy;
  const lines = [
    ...results.rows.filter((r) => r.policy === first).map((r) => ({ name: r.category, ...r })),
    ...results.families.filter((f) => f.policy === first).map((f) => ({ name: `family ${f.family}`, ...f })),
  ].filter((r) => r.goldPerplexity !== undefined);
  if (lines.length === 0) return;
  console.log('\nestimator perplexity of the golden responses (lower: the estimator predicts them better)');
  for (const r of lines) {
    const ci = r.goldPerplexityCi ? `  [${fmt(r.goldPerplexityCi[0], 2)}, ${fmt(r.goldPerplexityCi[1], 2)}]` : '';
    console.log(`${r.name.padEnd(22)}${fmt(r.goldPerplexity, 2).padStart(9)}${ci}`);
  }
}

/** The results on stdout, under a heading that says how they were computed. */
export function printReport(results: ResultsFile, heading: ReportHeading): void {
  const { scorer, template, estimatorKind, reasoning, thought } = heading;
  console.log(
    `\nR-EMID (nats/token; positive = information lost under the shift), estimator ${scorer}, ${template}, ` +
      `${estimatorKind} MI, reasoning ${reasoning}${thought ? ` by ${thought}` : ''}`,
  );
  // Hub and folder names are long: the policy column fits the longest.
  const policyWidth = Math.max(22, ...results.rows.map((r) => r.policy.length + 2));
  printRows(results.rows, policyWidth, heading.bound);
  printSummary(results, policyWidth);
}
