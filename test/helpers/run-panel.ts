/** The run panel as the e2e tests drive it: its phase, waiting for one, and the results file. */
import type { Page } from 'playwright-core';
import type { ResultsFile, runEvaluation } from '../../src/core/index.js';
import type { ModelService } from '../../src/protocol/model-service.js';

type EvaluationInput = Parameters<typeof runEvaluation>[0];

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

/**
 * Starts a run of the demo benchmark on wasm, as a user sets it up: the demo loaded, one policy
 * (rolescope-tiny-en), the given estimator and sizes.
 */
export async function startDemoRun(
  page: Page,
  run: { estimator: string; samples: number; pairs: number; bootstrap: number },
): Promise<void> {
  await page.getByTestId('tab-run').click();
  await page.getByTestId('run-load-demo').click();
  await page.waitForFunction(
    () => document.querySelector('[data-testid="run-benchmark"]')?.textContent?.includes('demo-benchmark.json'),
    undefined,
    { timeout: 60_000 },
  );
  await page.getByTestId('run-policy-rolescope-tiny-multi').uncheck();
  await page.getByLabel('Estimator (scores the responses)').selectOption(run.estimator);
  await page.getByLabel('Mismatched pairs per category').fill(String(run.pairs));
  await page.getByLabel('Samples per category').fill(String(run.samples));
  await page.getByLabel('Bootstrap replicates').fill(String(run.bootstrap));
  await page.locator('#run-device').selectOption('wasm');
  await page.getByTestId('run-start').click();
}

/** A bundled model's input embeddings through a model service, as the Node pipeline's encoder. */
export function serviceEncoder(service: ModelService, model: string): EvaluationInput['encoder'] {
  const encoder = { kind: 'input-embeddings', model } as const;
  return {
    id: model,
    load: async () => ({
      id: model,
      async embed(texts) {
        const { vectors, dims } = await service.embed(encoder, texts);
        return texts.map((_, r) => vectors.subarray(r * dims, (r + 1) * dims));
      },
    }),
  };
}
