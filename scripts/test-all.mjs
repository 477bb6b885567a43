/**
 * `npm test`: builds the app (the end-to-end suite drives the built app), runs the unit,
 * integration and end-to-end suites in one vitest run, and ends with one line summing them all:
 * "N passed, N failed".
 *
 * Checks run before it (CI's lint and type checks) can be folded into that line:
 * TEST_ALL_EXTRA_PASSED and TEST_ALL_EXTRA_FAILED are added to the counts, and any extra failure
 * makes the exit status non-zero too.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', shell: false }).status ?? 1;

/** A count from the environment; anything but a non-negative integer is a failure of its own. */
const extraCount = (name) => {
  const value = process.env[name] ?? '0';
  if (/^\d+$/.test(value)) return { count: Number(value), bad: 0 };
  console.error(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return { count: 0, bad: 1 };
};
const extraPassed = extraCount('TEST_ALL_EXTRA_PASSED');
const extraFailed = extraCount('TEST_ALL_EXTRA_FAILED');

/** Prints the summary line with the extra checks added and exits. */
const finish = (passed, failed, ok) => {
  const allFailed = failed + extraFailed.count + extraPassed.bad + extraFailed.bad;
  console.log(`${passed + extraPassed.count} passed, ${allFailed} failed`);
  process.exit(ok && allFailed === 0 ? 0 : 1);
};

if (run('npx', ['vite', 'build', '--logLevel', 'warn']) !== 0) finish(0, 1, false);
mkdirSync('.cache', { recursive: true });
const report = '.cache/vitest-report.json';
const status = run('npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
]);
let passed = 0;
let failed = 0;
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed = json.numPassedTests;
  // A file that fails before any test runs (an import error) counts as one failure.
  const brokenFiles = json.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0);
  failed = json.numFailedTests + brokenFiles.length;
  if (json.numTotalTests === 0) failed += 1;
} catch {
  failed += 1;
}
if (status !== 0 && failed === 0) failed = 1;
finish(passed, failed, status === 0);
