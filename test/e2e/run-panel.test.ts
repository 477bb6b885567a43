/**
 * The run panel in Chromium: a run of the bundled policy on the demo benchmark, interrupted by a
 * reload, resumes from IndexedDB and finishes; its results file recomputes from its own pairs,
 * equals the Node pipeline scoring the same responses, and a second run is served entirely from
 * the cache with identical numbers. No request leaves the page's origin. The default policies are
 * the bundled role-play models only, and one click sets the CoRL estimator and its thought policy.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  GOLD,
  buildManifest,
  cachedModel,
  comparePolicies,
  resultsFile,
  memoryStore,
  runEvaluation,
  validateBenchmarkText,
  type BundledManifest,
  type ResultsFile,
} from '../../src/core/index.js';
import { evaluationModel } from '../../workers/evaluation/evaluation-model.js';
import { createNodeModelService } from '../../node/model-host.js';
import { DEMO_BENCHMARK_FILE } from '../../scripts/lib/demo-benchmark.js';
import {
  errorsBesidesLostDevice,
  loseGpuDeviceAtNextCommand,
  openApp,
  screenshot,
  useBuiltApp,
} from '../helpers/browser.js';
import { downloadResults, runPhase, serviceEncoder, waitForPhase } from '../helpers/run-panel.js';
import type { Page } from 'playwright-core';

const POLICY = 'rolescope-tiny-en';
const ESTIMATOR = 'rolescope-tiny-multi';
const LIMIT = 3;
const PAIRS = 4;
const BOOTSTRAP = 50;
const ENCODER = { kind: 'input-embeddings', model: 'rolescope-tiny-multi' } as const;
const appUrl = useBuiltApp();

/** The one-click demo's results, for the crash test to compare with. */
let uninterruptedDemo: ResultsFile | null = null;

/**
 * What the results view shows of the file, as text: the summary, the tables and the bound (the
 * drill-down's selection is the viewer's, not the file's).
 */
const shownResults = async (page: Page) =>
  (
    await Promise.all(
      ['results-summary', 'results-table', 'families-table', 'bound'].map((id) => page.getByTestId(id).innerText()),
    )
  ).join('\n');

/** MI by the reference estimator, straight from the file's pairs. */
function miFromPairs(file: ResultsFile, responder: string, category: string): number {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ps = file.pairs.filter((p) => p.policy === responder && p.category === category);
  return (
    mean(ps.filter((p) => p.i === p.j).map((p) => p.meanLogProb)) -
    mean(ps.filter((p) => p.i !== p.j).map((p) => p.meanLogProb))
  );
}

describe('run panel', () => {
  it('runs, resumes after a reload, matches the Node pipeline, and reruns from the cache', async () => {
    const app = await openApp(appUrl());
    const { page } = app;
    try {
      await page.goto(appUrl());
      await page.getByTestId('tab-run').click();
      await page.getByTestId('run-load-demo').click();
      await expect
        .poll(() => page.getByTestId('run-benchmark').textContent(), { timeout: 60_000 })
        .toContain('demo-benchmark.json');
      await page.getByTestId(`run-policy-rolescope-tiny-multi`).uncheck();
      await page.getByLabel('Estimator (scores the responses)').selectOption(ESTIMATOR);
      await page.getByLabel('Mismatched pairs per category').fill(String(PAIRS));
      await page.getByLabel('Samples per category').fill(String(LIMIT));
      await page.getByLabel('Bootstrap replicates').fill(String(BOOTSTRAP));
      await page.locator('#run-device').selectOption('wasm');
      await page.getByTestId('run-start').click();

      // Interrupt once the estimator has scored something: finished work must survive the reload.
      await page.waitForSelector('[data-testid="run-progress"] li[data-stage="score"]', { timeout: 240_000 });
      await screenshot(page, 'run-progress');
      await page.reload();
      await page.getByTestId('tab-run').click();
      const item = page.getByTestId('run-item').first();
      await expect.poll(() => item.getAttribute('data-status')).toBe('interrupted');
      await item.getByTestId('run-resume').click();
      await waitForPhase(page, 'done');

      const rows = page.getByTestId('results-table').locator('tbody tr');
      const parsed = validateBenchmarkText(readFileSync(DEMO_BENCHMARK_FILE, 'utf8'));
      if (!parsed.ok) throw new Error('demo benchmark invalid');
      expect(await rows.count()).toBe(parsed.benchmark.categories.length);
      const resumed = await downloadResults(page);
      expect(resumed.manifest.timings['cacheHits']).toBeGreaterThan(0);
      expect(resumed.manifest.estimator).toMatchObject({ id: ESTIMATOR, device: 'wasm' });
      expect(resumed.manifest.benchmark.sha256).toMatch(/^[0-9a-f]{64}$/);

      // The file's rows follow from its own pairs.
      for (const row of resumed.rows) {
        expect(row.miModel).toBeCloseTo(miFromPairs(resumed, POLICY, row.category), 10);
        expect(row.miGold).toBeCloseTo(miFromPairs(resumed, GOLD, row.category), 10);
        const golden = resumed.pairs.filter((p) => p.policy === GOLD && p.category === row.category && p.i === p.j);
        const meanScore = golden.reduce((sum, p) => sum + p.meanLogProb, 0) / golden.length;
        expect(row.goldPerplexity).toBeCloseTo(Math.exp(-meanScore), 8);
      }
      // Shown numbers are the file's.
      for (const row of resumed.rows.filter((r) => r.remid !== null)) {
        const shown = page.locator(`tr[data-category="${row.category}"]`).first();
        expect(Number(await shown.getAttribute('data-remid'))).toBe(row.remid);
      }

      // The Node pipeline (onnxruntime-node) scoring the browser's responses gives the same numbers.
      const service = createNodeModelService();
      const node = await runEvaluation({
        benchmark: parsed.benchmark,
        policies: [
          { id: POLICY, responses: resumed.responses[POLICY]! },
          // A second policy for the compare view: the golden responses themselves.
          {
            id: 'mirror',
            responses: Object.fromEntries(parsed.benchmark.samples.map((s) => [s.id, s.goldenResponse])),
          },
        ],
        estimator: {
          id: ESTIMATOR,
          load: async () => {
            const ref = { source: 'bundled', id: ESTIMATOR } as const;
            const info = await service.load(ref);
            return cachedModel(evaluationModel(service, ref), info.fingerprint, memoryStore(), 'rp-v1');
          },
        },
        encoder: serviceEncoder(service, ENCODER.model),
        settings: resumed.manifest.settings,
      });
      await service.dispose();
      const nodeRows = node.rows.filter((r) => r.policy === POLICY);
      expect(nodeRows).toHaveLength(resumed.rows.length);
      nodeRows.forEach((r, k) => {
        const b = resumed.rows[k]!;
        expect(b.category).toBe(r.category);
        expect(Math.abs(b.miModel - r.miModel)).toBeLessThan(1e-4);
        expect(Math.abs(b.miGold - r.miGold)).toBeLessThan(1e-4);
        if (r.remid !== null) expect(Math.abs(b.remid! - r.remid)).toBeLessThan(1e-4);
        // The bundled encoder gives the same divergences in the browser as in Node. (Ĥ differs by
        // design: Node scored imported responses, whose entropy comes from the estimator.)
        if (r.bound) {
          for (const k of ['user', 'character', 'dialogue', 'joint'] as const)
            expect(Math.abs(b.bound!.inputTerms[k] - r.bound.inputTerms[k])).toBeLessThan(1e-6);
          expect(Math.abs(b.bound!.outputTerms.shifted - r.bound.outputTerms.shifted)).toBeLessThan(1e-6);
        }
      });
      expect(resumed.manifest.encoder).toMatchObject({ id: 'input-embeddings:rolescope-tiny-multi' });
      expect(resumed.boundValidation!.n).toBe(resumed.rows.filter((r) => r.remid !== null).length);
      expect(Number(await page.locator('[data-testid="bound-table"] tbody tr').count())).toBe(
        resumed.boundValidation!.n,
      );

      // Again: every score and generation comes from IndexedDB, and the numbers are identical.
      await page.getByTestId('run-item').first().getByTestId('run-resume').click();
      await waitForPhase(page, 'running', 10_000).catch(() => undefined);
      await waitForPhase(page, 'done');
      expect(Number(await page.getByTestId('results-computed').textContent())).toBe(0);
      const again = await downloadResults(page);
      expect(again.rows).toEqual(resumed.rows);
      expect(again.families).toEqual(resumed.families);
      expect(await page.getByTestId('remid-chart').locator('svg').count()).toBeGreaterThan(0);
      expect(await page.getByTestId('bound-chart').locator('svg').count()).toBeGreaterThan(0);
      expect(await page.getByTestId('bound-scatter').locator('svg').count()).toBeGreaterThan(0);
      await screenshot(page, 'results', 'results');
      expect(again.boundValidation).toEqual(resumed.boundValidation);

      // Drill-down: a sample's golden response, scored again under its own context by the drill's
      // own worker, gives the mean log-prob its matched pair has in the file.
      await page.getByTestId('drill-category').selectOption('french');
      const first = page.getByTestId('drill-samples').locator('button').first();
      const index = Number(await first.getAttribute('data-index'));
      await first.click();
      const strips = page.getByTestId('drill-tokens').locator('figure');
      await expect.poll(() => strips.count(), { timeout: 120_000 }).toBeGreaterThan(0);
      const goldPair = again.pairs.find(
        (p) => p.policy === GOLD && p.category === 'french' && p.i === index && p.j === index,
      )!;
      const goldOwn = strips.filter({ hasText: 'golden response, own context' });
      const caption = (await goldOwn.locator('figcaption').textContent())!;
      expect(Number(/mean (-?\d+\.\d+)/.exec(caption)![1])).toBeCloseTo(goldPair.meanLogProb, 3);
      expect(await strips.filter({ hasText: 'own − mismatched' }).count()).toBeGreaterThan(0);
      await screenshot(page, 'drill-down', 'drill');

      // The exported file, imported back (as another browser would), shows the identical view.
      const before = await shownResults(page);
      await page.getByTestId('run-import-results').setInputFiles(again.path);
      await expect.poll(() => page.locator('[data-testid="run-item"]', { hasText: '(imported)' }).count()).toBe(1);
      await expect.poll(() => shownResults(page)).toBe(before);

      // Two policies compared in the app: the differences are those the core computes from the file.
      const twoPolicies = resultsFile(
        buildManifest({
          appVersion: 'test',
          benchmark: { sha256: resumed.manifest.benchmark.sha256, samples: parsed.benchmark.samples.length },
          policies: [
            { id: POLICY, source: 'imported' },
            { id: 'mirror', source: 'imported' },
          ],
          estimator: resumed.manifest.estimator,
          settings: resumed.manifest.settings,
          counts: node.counts,
          timings: {},
        }),
        node,
      );
      const twoPath = path.join(mkdtempSync(path.join(tmpdir(), 'rolescope-')), 'two-policies.json');
      writeFileSync(twoPath, JSON.stringify(twoPolicies));
      await page.getByTestId('run-import-results').setInputFiles(twoPath);
      await page.getByTestId('compare-b').selectOption('mirror');
      const expected = comparePolicies(JSON.parse(JSON.stringify(twoPolicies)), POLICY, 'mirror');
      for (const c of expected.categories) {
        const shown = page.getByTestId('compare-table').locator(`tr[data-category="${c.category}"]`);
        expect(Number(await shown.getAttribute('data-difference'))).toBeCloseTo(c.difference, 12);
      }
      await screenshot(page, 'compare', 'compare');

      expect(app.foreignRequests).toEqual([]);
      expect(app.pageErrors).toEqual([]);
    } finally {
      await app.close();
    }
  }, 600_000);

  it('runs the one-click demo from a fresh page and lands on the results', async () => {
    const app = await openApp(appUrl());
    const { page } = app;
    try {
      await page.goto(appUrl());
      await page.getByTestId('tab-run').click();
      const started = Date.now();
      await page.getByTestId('run-demo').click();
      // The first category's rows show while the run goes on (streamed from the worker).
      const firstRow = page.getByTestId('partial-results').locator('tbody tr').first();
      await firstRow.waitFor({ timeout: 300_000 });
      const streamed = {
        policy: await firstRow.getAttribute('data-policy'),
        category: await firstRow.getAttribute('data-category'),
        emi: Number(await firstRow.getAttribute('data-emi')),
      };
      expect(await runPhase(page)).toBe('running');
      await waitForPhase(page, 'done', 400_000);
      const seconds = (Date.now() - started) / 1000;
      const demo = await downloadResults(page);
      // The same point estimate as the final row, whose interval came at the end.
      expect(demo.rows.find((r) => r.policy === streamed.policy && r.category === streamed.category)!.emi).toBe(
        streamed.emi,
      );
      uninterruptedDemo = demo;
      const parsed = validateBenchmarkText(readFileSync(DEMO_BENCHMARK_FILE, 'utf8'));
      if (!parsed.ok) throw new Error('demo benchmark invalid');
      expect(demo.manifest.policies.map((p) => p.id)).toEqual(['rolescope-tiny-en', 'rolescope-tiny-multi']);
      expect(demo.manifest.settings).toMatchObject({ limitPerCategory: 4, maxPairs: 12, bootstrapReplicates: 200 });
      expect(demo.rows).toHaveLength(2 * parsed.benchmark.categories.length);
      expect(await page.getByTestId('results-table').locator('tbody tr').count()).toBe(demo.rows.length);
      // The comparison's bootstrap ran in the analysis worker, off the page's thread.
      await expect.poll(() => page.getByTestId('compare-table').count()).toBe(1);
      expect(page.workers().map((w) => w.url())).toContainEqual(
        expect.stringMatching(/\/assets\/analysis\.worker-[^/]+\.js$/),
      );
      // Every request stayed on the page's origin (the session blocks and records any other).
      expect(app.foreignRequests).toEqual([]);
      expect(app.pageErrors).toEqual([]);
      console.log(`one-click demo: ${seconds.toFixed(0)} s in headless Chromium on this machine`);
    } finally {
      await app.close();
    }
  }, 600_000);

  it('restarts a crashed evaluation worker mid-run and ends with the uninterrupted run’s numbers', async () => {
    expect(uninterruptedDemo, 'the one-click demo test runs first').not.toBeNull();
    const app = await openApp(appUrl());
    const { page } = app;
    try {
      await page.goto(appUrl());
      await page.getByTestId('tab-run').click();
      await page.getByTestId('run-demo').click();
      // Once the run has computed something, an uncaught error kills the evaluation worker.
      await page.waitForFunction(() =>
        /[1-9]/.test(document.querySelector('[data-testid="run-rate"]')?.textContent ?? ''),
      );
      const worker = page.workers().find((w) => /\/assets\/evaluation\.worker-[^/]+\.js$/.test(w.url()));
      expect(worker).toBeDefined();
      await worker!.evaluate(() => {
        setTimeout(() => {
          throw new Error('simulated crash');
        });
      });
      await expect
        .poll(() => page.getByTestId('run-notice').textContent())
        .toMatch(/simulated crash\. It was restarted/);
      await waitForPhase(page, 'done', 400_000);
      const recovered = await downloadResults(page);
      // The restarted worker went on from the cache, and the numbers are the uninterrupted run's.
      expect(recovered.manifest.timings['cacheHits']).toBeGreaterThan(0);
      expect(recovered.responses).toEqual(uninterruptedDemo!.responses);
      expect(recovered.rows.map((r) => [r.policy, r.category])).toEqual(
        uninterruptedDemo!.rows.map((r) => [r.policy, r.category]),
      );
      recovered.rows.forEach((row, k) => {
        const clean = uninterruptedDemo!.rows[k]!;
        for (const key of ['miModel', 'miGold', 'emi', 'remid'] as const) {
          if (clean[key] === null) expect(row[key]).toBeNull();
          else expect(row[key]).toBeCloseTo(clean[key] as number, 6);
        }
      });
      expect(app.foreignRequests).toEqual([]);
    } finally {
      await app.close();
    }
  }, 600_000);

  it('goes on on wasm when the WebGPU device is lost mid-run, with the wasm run’s numbers', async () => {
    expect(uninterruptedDemo, 'the one-click demo test runs first').not.toBeNull();
    const app = await openApp(appUrl(), { webgpu: true });
    const { page } = app;
    try {
      await page.goto(appUrl());
      await page.getByTestId('tab-run').click();
      await page.locator('#run-device').selectOption('webgpu');
      await page.getByTestId('run-demo').click();
      // Once the run has computed something on the GPU, the device is destroyed at its next command.
      await page.waitForFunction(
        () => /[1-9]/.test(document.querySelector('[data-testid="run-rate"]')?.textContent ?? ''),
        undefined,
        { timeout: 300_000 },
      );
      const worker = page.workers().find((w) => /\/assets\/evaluation\.worker-[^/]+\.js$/.test(w.url()))!;
      await loseGpuDeviceAtNextCommand(worker);
      await expect
        .poll(() => page.getByTestId('run-notice').textContent(), { timeout: 120_000 })
        .toMatch(/the WebGPU device was lost \(.*\)\. The run goes on on wasm in a fresh worker/);
      await waitForPhase(page, 'done', 400_000);
      const recovered = await downloadResults(page);
      // Every model ran on wasm in the end, and the results say so; they are the wasm demo's.
      expect(recovered.manifest.policies.map((p) => ('device' in p ? p.device : null))).toEqual(['wasm', 'wasm']);
      expect(recovered.manifest.estimator.device).toBe('wasm');
      expect(recovered.responses).toEqual(uninterruptedDemo!.responses);
      recovered.rows.forEach((row, k) => {
        const clean = uninterruptedDemo!.rows[k]!;
        expect([row.policy, row.category]).toEqual([clean.policy, clean.category]);
        for (const key of ['miModel', 'miGold', 'emi', 'remid'] as const) {
          if (clean[key] === null) expect(row[key]).toBeNull();
          else expect(row[key]).toBeCloseTo(clean[key] as number, 6);
        }
      });
      expect(errorsBesidesLostDevice(app.pageErrors)).toEqual([]);
      expect(app.foreignRequests).toEqual([]);
    } finally {
      await app.close();
    }
  }, 600_000);

  it('selects only the role-play models as policies, and presets the CoRL estimator and thought policy', async () => {
    const bundled = (JSON.parse(readFileSync('public/models/manifest.json', 'utf8')) as BundledManifest).models;
    const rolePlay = bundled.filter((m) => m.role === 'role-play').map((m) => m.id);
    expect(rolePlay).toEqual(['rolescope-tiny-en', 'rolescope-tiny-multi']);
    expect(bundled.map((m) => m.id)).toEqual(
      expect.arrayContaining(['rolescope-corl-estimator', 'rolescope-corl-thought']),
    );
    const app = await openApp(appUrl());
    const { page } = app;
    try {
      await page.goto(appUrl());
      await page.getByTestId('tab-run').click();
      const policies = page.locator('[data-testid^="run-policy-"]');
      // Every bundled model is offered as a policy; only the role-play ones are checked.
      await expect.poll(() => policies.count(), { timeout: 60_000 }).toBe(bundled.length);
      const checked = () =>
        page
          .locator('[data-testid^="run-policy-"]:checked')
          .evaluateAll((boxes) => boxes.map((b) => b.getAttribute('data-testid')));
      await expect.poll(checked).toEqual(rolePlay.map((id) => `run-policy-${id}`));
      const estimator = page.locator('#run-estimator');
      expect(await estimator.inputValue()).toBe('rolescope-tiny-multi');
      expect(await page.locator('#run-reasoning').inputValue()).toBe('none');
      // The CoRL pair is listed by its manifest names.
      expect(await estimator.locator('option[value="rolescope-corl-estimator"]').textContent()).toBe(
        'Rolescope CoRL estimator',
      );

      await page.getByTestId('run-use-corl').click();
      expect(await estimator.inputValue()).toBe('rolescope-corl-estimator');
      expect(await page.locator('#run-reasoning').inputValue()).toBe('generate');
      expect(await page.locator('#run-thought').inputValue()).toBe('rolescope-corl-thought');
      expect(await page.locator('#run-thought option:checked').textContent()).toBe('Rolescope CoRL thought policy');
      expect(await page.locator('#run-template').inputValue()).toBe('est-v1');
      expect(await page.locator('#run-template').isDisabled()).toBe(true);
      expect(await page.locator('#run-thought ~ .hint').textContent()).toContain(
        'The bundled CoRL thought policy was trained to write r for the CoRL estimator.',
      );
      // The preset is about the estimator only: the policies stay as they were.
      expect(await checked()).toEqual(rolePlay.map((id) => `run-policy-${id}`));
      expect(app.foreignRequests).toEqual([]);
      expect(app.pageErrors).toEqual([]);
    } finally {
      await app.close();
    }
  }, 120_000);
});
