/** The run panel as the e2e tests drive it: its phase, waiting for one, and the results file. */
import type { Page } from 'playwright-core';
import type { ResultsFile } from '../../src/core/index.js';

export const runPhase = (page: Page) => page.getByTestId('run-status').getAttribute('data-phase');

/** Waits until the run reaches `wanted`; a failed run throws with the panel's error. */
export async function waitForPhase(page: Page, wanted: string, timeoutMs = 400_000): Promise<void> {
  await page.waitForFunction(
    (w) => {
      const p = document.querySelector('[data-testid="run-status"]')?.getAttribute('data-phase');
      return p === w || p === 'failed';
    },
    wanted,
    { timeout: timeoutMs },
  );
  if ((await runPhase(page)) === 'failed')
    throw new Error(`the run failed: ${await page.getByTestId('run-error').textContent()}`);
}

/** The results file, through the results view's download link (the way a user keeps it). */
export async function downloadResults(page: Page): Promise<ResultsFile & { path: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('results-json').click()]);
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
  // Where the browser saved it, to pick it again as a user would.
  const path = await download.path();
  return Object.assign(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ResultsFile, { path });
}
