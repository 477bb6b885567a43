/**
 * The pure-Python parts of the training scripts have unittest suites that need only the standard
 * library: scripts/corl (prompts, cold-start targets, rewards, data sets, stage records, the
 * ablation's benchmark variants), scripts/methods (the policies' output format and RL reward) and
 * scripts/hub_fixtures (the real-size stand-ins' configurations and parameter counts). This runs
 * them with the system interpreter so that `npm test` covers them too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
/** Each suite's test count when this was written; fewer means some were lost, not passed. */
const SUITES = [
  { folder: 'scripts/corl/tests', minTests: 44 },
  { folder: 'scripts/methods/tests', minTests: 5 },
  { folder: 'scripts/hub_fixtures/tests', minTests: 4 },
];

describe('training scripts Python tests', () => {
  for (const { folder, minTests } of SUITES) {
    it(`${folder} pass under the system python3`, { timeout: 120_000 }, () => {
      const run = spawnSync(python, ['-m', 'unittest', 'discover', '-s', folder, '-t', '.'], {
        cwd: repoRoot,
        encoding: 'utf8',
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      });
      const output = `${run.stdout}${run.stderr}`;
      expect(run.error, String(run.error)).toBeUndefined();
      expect(run.status, output).toBe(0);
      const ran = /^Ran (\d+) tests? in /m.exec(output);
      expect(Number(ran?.[1] ?? 0), output).toBeGreaterThanOrEqual(minTests);
      expect(output).toMatch(/^OK( \(skipped=\d+\))?$/m);
    });
  }
});
