/**
 * The model manager in Chromium:
 * - a model folder picked from disk (a copy of a bundled model's files plus files transformers.js
 *   does not read) is stored in the browser, loads on the first screen with the same scores as the
 *   bundled model, survives a reload, loads with the bundled models' URLs unreachable, and is
 *   deleted with its files; a folder without a tokenizer is refused with a message that says so;
 * - a Hub model downloads through transformers.js's real Hub path from a stand-in for
 *   huggingface.co (the test machine has no internet), with a progress bar per file; cancel stops
 *   it; the finished download is listed, and loads again with the Hub unreachable;
 * - a Hub id with path traversal is refused before any request is made.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page, Route } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_MODELS_DIR } from '../../node/model-host.js';
import { formatBytes } from '../../src/lib/ui/load-progress.js';
import { openApp, screenshot, useBuiltApp, waitUntilReady } from '../helpers/browser.js';

const appUrl = useBuiltApp();
const MODEL = 'rolescope-tiny-en';
const work = mkdtempSync(path.join(tmpdir(), 'rolescope-models-e2e-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A model folder as a user has it: the model's files plus a README and PyTorch weights. */
function modelFolder(name: string, change: (dir: string) => void = () => {}): string {
  const dir = path.join(work, name);
  cpSync(path.join(BUNDLED_MODELS_DIR, MODEL), dir, { recursive: true });
  writeFileSync(path.join(dir, 'model.safetensors'), 'not read by transformers.js');
  change(dir);
  return dir;
}

/** The values of the options a select lets the user pick (disabled ones left out). */
const enabledOptions = (page: Page, select: string) =>
  page.locator(select).evaluate((el) =>
    Array.from((el as HTMLSelectElement).options)
      .filter((o) => !o.disabled)
      .map((o) => o.value),
  );
const row = (page: Page, name: string) => page.locator(`[data-testid="models-row"][data-name="${name}"]`);
const goldenMean = async (page: Page) => Number(await page.getByTestId('golden-summary').getAttribute('data-mean'));
const folderCacheUrls = (page: Page) =>
  page.evaluate(async () =>
    (await (await caches.open('rolescope-model-folders')).keys()).map((r) => new URL(r.url).pathname).sort(),
  );

describe('model folders', () => {
  it('stores a picked folder, loads it offline like the bundled model, and deletes it', async () => {
    const app = await openApp(appUrl());
    const { page } = app;
    try {
      await page.goto(appUrl());
      await waitUntilReady(page);
      const bundledMean = await goldenMean(page);

      await page.getByTestId('tab-models').click();
      expect(await page.getByTestId('hub-row').count()).toBe(6);
      await page.getByTestId('models-folder').setInputFiles(modelFolder('My Tiny Model'));
      await expect
        .poll(() => page.getByTestId('models-notice').textContent())
        .toMatch(/Stored model folder "my-tiny-model"/);
      expect(await page.getByTestId('models-notice').textContent()).toContain('model.safetensors');
      await expect.poll(() => row(page, 'folder:my-tiny-model').count()).toBe(1);
      expect(await row(page, 'folder:my-tiny-model').textContent()).toContain('fp32');
      expect(await folderCacheUrls(page)).toEqual(
        [
          'config.json',
          'generation_config.json',
          'onnx/model.onnx',
          'rolescope-folder.json',
          'special_tokens_map.json',
          'tokenizer.json',
          'tokenizer_config.json',
        ].map((f) => `/model-folders/my-tiny-model/${f}`),
      );

      // Storing it loaded it on the first screen: the same files score exactly as the bundled model.
      await waitUntilReady(page);
      expect(await page.getByTestId('device').textContent()).toContain('fp32');
      expect(await goldenMean(page)).toBe(bundledMean);
      expect(await page.locator('#model').inputValue()).toBe('folder:my-tiny-model');
      // The folder's files were served from the browser's store: no request for them left the page.
      expect(app.sameOriginRequests.filter((r) => r.includes('/model-folders/'))).toEqual([]);
      await screenshot(page, 'models', 'models');

      // Reloaded, with the bundled models' URLs unreachable, the folder is listed and loads.
      await page.reload();
      await waitUntilReady(page);
      await app.context.route('**/models/**', (route: Route) => route.abort('internetdisconnected'));
      await page.locator('#model').selectOption('folder:my-tiny-model');
      await waitUntilReady(page);
      expect(await goldenMean(page)).toBe(bundledMean);
      expect(await page.getByTestId('golden-summary').getAttribute('data-from-cache')).toBe('true');
      await app.context.unroute('**/models/**');

      // A folder without its tokenizer is refused, and the stored one is untouched.
      await page.getByTestId('tab-models').click();
      await page
        .getByTestId('models-folder')
        .setInputFiles(modelFolder('no-tokenizer', (dir) => rmSync(path.join(dir, 'tokenizer.json'))));
      await expect
        .poll(() => page.getByTestId('models-folder-error').textContent())
        .toMatch(/cannot be used: this is not a transformers.js model folder: tokenizer.json is missing/);
      expect(await row(page, 'folder:no-tokenizer').count()).toBe(0);
      expect((await folderCacheUrls(page)).length).toBe(7);

      await row(page, 'folder:my-tiny-model')
        .getByRole('button', { name: /Delete/ })
        .click();
      await expect.poll(() => row(page, 'folder:my-tiny-model').count()).toBe(0);
      expect(await folderCacheUrls(page)).toEqual([]);
      expect(app.foreignRequests).toEqual([]);
      expect(app.pageErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});

describe('Hub models', () => {
  it('downloads with per-file progress, cancels, lists the download and loads it with the Hub unreachable', async () => {
    const app = await openApp(appUrl());
    const { page } = app;
    const HUB_ID = 'test-org/tiny-en';
    const served: string[] = [];
    let holdWeights: Promise<void> | null = null;
    let releaseWeights = () => {};
    // A stand-in for huggingface.co serving a bundled model's files as a Hub repository would.
    const hub = async (route: Route) => {
      const url = new URL(route.request().url());
      served.push(url.pathname);
      const headers = { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' };
      if (url.pathname === `/api/models/${HUB_ID}/revision/main`) {
        return route.fulfill({ json: { sha: 'a'.repeat(40) }, headers });
      }
      const file = url.pathname.match(new RegExp(`^/${HUB_ID}/resolve/main/(.+)$`))?.[1];
      let body: Buffer;
      try {
        body = readFileSync(path.join(BUNDLED_MODELS_DIR, MODEL, file ?? 'missing'));
      } catch {
        return route.fulfill({ status: 404, body: 'Entry not found', headers });
      }
      if (file === 'onnx/model.onnx' && holdWeights) await holdWeights;
      return route.fulfill({ body, headers: { ...headers, 'Content-Length': String(body.length) } });
    };
    try {
      await page.goto(appUrl());
      await waitUntilReady(page);
      const bundledMean = await goldenMean(page);
      await app.context.route('https://huggingface.co/**', hub);
      await page.getByTestId('tab-models').click();
      // No WebGPU adapter here: models run on wasm, which runs fp16 weights, so every precision is offered.
      await expect.poll(() => page.getByTestId('hub-precision-note').getAttribute('data-runs-on')).toBe('wasm');
      expect(await enabledOptions(page, '#hub-dtype')).toEqual(['fp32', 'fp16', 'q8', 'q4', 'q4f16']);

      // A traversal attempt is refused before anything is asked of the network.
      await page.getByTestId('hub-id').fill('../../etc/passwd');
      await page.getByTestId('hub-download').click();
      expect(await page.getByTestId('models-hub-error').textContent()).toMatch(/is not a Hub model id/);
      expect(served).toEqual([]);

      // The weights are held back: the per-file list shows, and Cancel stops the download.
      holdWeights = new Promise((resolve) => (releaseWeights = resolve));
      await page.getByTestId('hub-id').fill(HUB_ID);
      await page.locator('#hub-dtype').selectOption('fp32');
      await page.getByTestId('hub-download').click();
      await expect.poll(() => served.includes(`/${HUB_ID}/resolve/main/onnx/model.onnx`)).toBe(true);
      expect(await page.getByTestId('load-file').count()).toBeGreaterThanOrEqual(3);
      await page.getByTestId('models-cancel').click();
      await expect.poll(() => page.getByTestId('models-error').textContent()).toMatch(/was cancelled/);
      releaseWeights();
      holdWeights = null;

      await page.getByTestId('hub-download').click();
      await waitUntilReady(page);
      expect(await goldenMean(page)).toBe(bundledMean);
      await expect.poll(() => row(page, `hub:${HUB_ID}`).count()).toBe(1);
      // Its size is what the stand-in served: every file once, the cancelled download's included.
      const files = [...new Set(served.filter((p) => p.includes('/resolve/')))];
      const bytes = files.reduce(
        (sum, p) => sum + statSync(path.join(BUNDLED_MODELS_DIR, MODEL, p.split('/main/')[1]!)).size,
        0,
      );
      expect(await row(page, `hub:${HUB_ID}`).textContent()).toContain(`fp32${formatBytes(bytes)}`);

      // The Hub unreachable (its files come from transformers.js's cache), after a reload.
      await app.context.unroute('https://huggingface.co/**');
      served.length = 0;
      await page.reload();
      await waitUntilReady(page);
      await page.locator('#model').selectOption(`hub:${HUB_ID}`);
      await waitUntilReady(page);
      expect(await goldenMean(page)).toBe(bundledMean);
      // Only the question of which commit "main" is now was asked (and blocked): no file was.
      expect(app.foreignRequests.filter((r) => !r.includes('/api/models/'))).toEqual([]);

      await page.getByTestId('tab-models').click();
      await row(page, `hub:${HUB_ID}`)
        .getByRole('button', { name: /Delete/ })
        .click();
      await expect.poll(() => row(page, `hub:${HUB_ID}`).count()).toBe(0);
      expect(app.pageErrors).toEqual([]);
    } finally {
      releaseWeights();
      await app.close();
    }
  });
});

describe('Hub precisions on a GPU without 16-bit float shaders', () => {
  it('offers no fp16 or q4f16 where models run on SwiftShader, and starts each row at one that runs', async () => {
    const app = await openApp(appUrl(), { webgpu: true });
    const { page } = app;
    try {
      await page.goto(appUrl());
      // The premise: headless Chromium's WebGPU adapter (SwiftShader) lacks shader-f16.
      const adapter = await page.evaluate(async () => {
        const found = await (
          navigator as unknown as { gpu?: { requestAdapter(): Promise<{ features: Set<string> } | null> } }
        ).gpu?.requestAdapter();
        return found ? { shaderF16: found.features.has('shader-f16') } : null;
      });
      expect(adapter).toEqual({ shaderF16: false });

      // The list does not wait for the bundled model, which loads on SwiftShader meanwhile.
      await page.getByTestId('tab-models').click();
      const note = page.getByTestId('hub-precision-note');
      await expect.poll(() => note.getAttribute('data-runs-on')).toBe('webgpu');
      expect(await note.getAttribute('data-shader-f16')).toBe('false');
      expect(await note.textContent()).toContain('no 16-bit float shaders (shader-f16)');

      const rowSelect = (id: string) => `[data-testid="hub-row"][data-id="${id}"] select`;
      const selects = [
        '#hub-dtype',
        ...[
          'HuggingFaceTB/SmolLM2-135M-Instruct',
          'onnx-community/Qwen3-0.6B-ONNX',
          'onnx-community/Llama-3.2-1B-Instruct',
        ].map(rowSelect),
      ];
      for (const select of selects) {
        const enabled = await enabledOptions(page, select);
        expect(
          enabled.filter((d) => d === 'fp16' || d === 'q4f16'),
          select,
        ).toEqual([]);
        expect(enabled.length, select).toBeGreaterThan(0);
        // They are still listed, disabled, with the reason.
        expect(await page.locator(`${select} option[value="q4f16"]`).textContent()).toContain('shader-f16');
        expect(enabled, select).toContain(await page.locator(select).inputValue());
      }
      // Qwen3's and Llama's default, q4f16, falls back to the same 4-bit weights in 32-bit floats.
      expect(await page.locator(rowSelect('onnx-community/Qwen3-0.6B-ONNX')).inputValue()).toBe('q4');
      expect(await page.locator(rowSelect('onnx-community/Llama-3.2-1B-Instruct')).inputValue()).toBe('q4');
      expect(app.foreignRequests).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
