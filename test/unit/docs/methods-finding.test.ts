/**
 * docs/methods/README.md states the training-method comparison's finding from the figures
 * `npm run compare-methods` wrote to docs/methods/comparison.json. This holds the prose to them:
 * its table of paired differences must be the file's, rounded as shown, and the claim it rests on
 * (every paired interval contains 0) must be true of the file; rerunning the comparison with
 * other results makes this fail until the finding is rewritten.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EstimatorReport } from '../../../scripts/lib/methods-report.js';

const docs = fileURLToPath(new URL('../../../docs/methods/', import.meta.url));
const comparison = JSON.parse(readFileSync(`${docs}comparison.json`, 'utf8')) as {
  base: string;
  estimators: EstimatorReport[];
};
const readme = readFileSync(`${docs}README.md`, 'utf8');
const FAMILIES = ['user', 'character', 'dialogue'] as const;
const LABEL: Record<string, string> = { corl: 'CoRL', default: 'default' };

/** As the docs write a number: three decimals, a true minus sign, a plus on positive differences. */
const shown = (v: number, sign: boolean) => {
  const text = v.toFixed(3).replace('-', '−');
  return sign && v >= 0 ? `+${text}` : text;
};

describe('the training-method finding in docs/methods/README.md', () => {
  const paired = comparison.estimators.flatMap((e) =>
    e.policies.filter((p) => p.id !== comparison.base).map((p) => ({ estimator: e.estimator, policy: p })),
  );

  it('covers both estimators and the three method policies', () => {
    expect(comparison.estimators.map((e) => e.estimator).sort()).toEqual(['corl', 'default']);
    expect(paired).toHaveLength(6);
  });

  it('shows each paired difference from the base as comparison.json has it', () => {
    for (const { estimator, policy } of paired) {
      const cells = FAMILIES.map((family) => {
        const vs = policy.families[family]!.vsBase!;
        return `${shown(vs.difference, true)} [${shown(vs.ci[0], false)}, ${shown(vs.ci[1], false)}]`;
      });
      const row = new RegExp(
        `^\\| \`${policy.id}\` +\\| ${LABEL[estimator]} +\\| ${cells.map((c) => c.replace(/[[\]+]/g, '\\$&')).join(' +\\| ')} +\\|$`,
        'm',
      );
      expect(readme).toMatch(row);
    }
  });

  it('rests on what the file shows: every paired interval contains 0', () => {
    expect(readme).toContain('Every interval contains 0.');
    for (const { policy } of paired) {
      for (const family of FAMILIES) {
        const [low, high] = policy.families[family]!.vsBase!.ci;
        expect(low).toBeLessThanOrEqual(0);
        expect(high).toBeGreaterThanOrEqual(0);
      }
    }
  });
});
