/**
 * The demo evaluation in the built app with Hub-format exports as the estimator, stored as model
 * folders from disk, on wasm: a GroupQueryAttention graph (the Qwen3 fixture, onnxruntime-genai's
 * model builder) and an Optimum export (the Qwen2.5 fixture, no num_logits_to_keep input). Each
 * run finishes, its manifest says how the estimator scored (one row per suffix pass for the
 * GroupQueryAttention graph, the load-time probe passed), and the Node pipeline scoring the
 * browser's responses with the same folder on onnxruntime-node gives the same numbers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedModel, memoryStore, runEvaluation, validateBenchmarkText } from '../../src/core/index.js';
import { evaluationModel } from '../../workers/evaluation/evaluation-model.js';
import { createNodeModelService } from '../../node/model-host.js';
import { DEMO_BENCHMARK_FILE } from '../../scripts/lib/demo-benchmark.js';
import { assembleHubFixture } from '../../scripts/lib/hub-fixtures.js';
import { openApp, useBuiltApp, waitUntilReady } from '../helpers/browser.js';
import { downloadResults, serviceEncoder, startDemoRun, waitForPhase } from '../helpers/run-panel.js';

const appUrl = useBuiltApp();
const POLICY = 'rolescope-tiny-en';
const ENCODER = 'rolescope-tiny-multi';
const work = mkdtempSync(path.join(tmpdir(), 'rolescope-folder-estimators-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.each([
  ['qwen3', 'shared-context-one-row'],
  ['qwen2.5', 'shared-context'],
] as const)('the %s fixture as the estimator', (fixture, scoring) => {
  it('runs the demo evaluation on wasm, and its numbers are the Node pipeline’s', async () => {
    const dir = assembleHubFixture(fixture, work, ['fp32']);
    const app = await openApp(appUrl());
    const { page } = app;
    try {
      await page.goto(appUrl());
      await waitUntilReady(page);
      await page.getByTestId('tab-models').click();
      await page.getByTestId('models-folder').setInputFiles(dir);
      const name = `folder:${fixture}`;
      await expect
        .poll(() => page.locator(`[data-testid="models-row"][data-name="${name}"]`).count(), { timeout: 120_000 })
        .toBe(1);
      // Storing it loads it on the first screen: wait for that before starting a run.
      await waitUntilReady(page);

      await startDemoRun(page, { estimator: name, samples: 2, pairs: 2, bootstrap: 20 });
      await waitForPhase(page, 'done');

      const file = await downloadResults(page);
      expect(file.manifest.estimator).toMatchObject({
        id: name,
        source: 'folder',
        device: 'wasm',
        dtype: 'fp32',
        scoring,
      });
      const probe = (file.manifest.estimator as { sharingProbe?: { maxAbsDiffNats: number } }).sharingProbe;
      expect(probe?.maxAbsDiffNats).toBeLessThanOrEqual(1e-4);

      // The same responses scored by the same folder in Node (onnxruntime-node).
      const parsed = validateBenchmarkText(readFileSync(DEMO_BENCHMARK_FILE, 'utf8'));
      if (!parsed.ok) throw new Error('demo benchmark invalid');
      const service = createNodeModelService({ modelFoldersDir: work });
      try {
        const node = await runEvaluation({
          benchmark: parsed.benchmark,
          policies: [{ id: POLICY, responses: file.responses[POLICY]! }],
          estimator: {
            id: name,
            load: async () => {
              const ref = { source: 'folder', id: fixture } as const;
              const info = await service.load(ref, { device: 'cpu', dtype: 'fp32' });
              expect(info.scoring).toBe(scoring);
              return cachedModel(
                evaluationModel(service, ref),
                info.fingerprint,
                memoryStore(),
                file.manifest.templates.estimator,
              );
            },
          },
          encoder: serviceEncoder(service, ENCODER),
          settings: file.manifest.settings,
        });
        const nodeRows = node.rows.filter((r) => r.policy === POLICY);
        expect(nodeRows).toHaveLength(file.rows.length);
        expect(file.rows.length).toBe(parsed.benchmark.categories.length);
        nodeRows.forEach((r, k) => {
          const b = file.rows[k]!;
          expect(b.category).toBe(r.category);
          expect(Math.abs(b.miModel - r.miModel), r.category).toBeLessThan(1e-4);
          expect(Math.abs(b.miGold - r.miGold), r.category).toBeLessThan(1e-4);
          if (r.remid !== null) expect(Math.abs(b.remid! - r.remid), r.category).toBeLessThan(1e-4);
        });
      } finally {
        await service.dispose();
      }
      expect(app.foreignRequests).toEqual([]);
      expect(app.pageErrors).toEqual([]);
    } finally {
      await app.close();
    }
  }, 600_000);
});
