/**
 * The built app in Chromium: the page loads, the worker loads the bundled model, scores the golden
 * response and shows the heatmap; a reload serves the scores from IndexedDB; WebGPU (SwiftShader's
 * CPU adapter) gives the same numbers as wasm; no request ever leaves the page's origin, the model
 * worker's included (its fetches of the weights and of onnxruntime's wasm are seen by the guard).
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreviewServer } from 'vite';
import { rolePlayMessages, type DemoSampleFile } from '../../src/core/index.js';
import { createNodeModelService } from '../../node/model-host.js';
import {
  CHROME_PATH,
  errorsBesidesLostDevice,
  loseGpuDeviceAtNextCommand,
  openApp,
  screenshot,
  startPreview,
  waitUntilReady,
} from '../helpers/browser.js';

const demo = JSON.parse(readFileSync('public/samples/demo-samples.json', 'utf8')) as DemoSampleFile;
let server: PreviewServer;
let url: string;
let nodeMean: number;
/** Sample 7's golden mean in Node: what the page must give once its WebGPU device is lost. */
let nodeMeanAfterLoss: number;

beforeAll(async () => {
  if (!existsSync('dist/index.html')) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  if (!existsSync(CHROME_PATH))
    throw new Error(`no Chromium at ${CHROME_PATH}: apt-get install chromium, or set CHROME_PATH`);
  ({ server, url } = await startPreview());
  // The same sample scored natively in Node: the browser must agree.
  const service = createNodeModelService();
  await service.load({ source: 'bundled', id: 'rolescope-tiny-en' });
  const [first, other] = [demo.samples[0]!, demo.samples[7]!];
  const result = await service.score([
    { context: rolePlayMessages(first), responses: [first.goldenResponse] },
    { context: rolePlayMessages(other), responses: [other.goldenResponse] },
  ]);
  nodeMean = result.groups[0]![0]!.meanLogProb;
  nodeMeanAfterLoss = result.groups[1]![0]!.meanLogProb;
  await service.dispose();
});

afterAll(async () => {
  await server?.close();
});

describe('first screen on wasm', () => {
  it('loads the bundled model, scores, generates, shows the heatmap, and serves a reload from IndexedDB', async () => {
    const app = await openApp(url);
    try {
      await app.page.goto(url);
      await waitUntilReady(app.page);
      expect(await app.page.getByTestId('device').getAttribute('data-device')).toBe('wasm');
      // Token statistics come from onnxruntime's graph (workers/model/token-stats.ts), not the JS fallback.
      expect(await app.page.getByTestId('device').getAttribute('data-token-stats')).toBe('native');
      // The model runs in a module worker (the page's own bundle has no onnxruntime), and the
      // worker's fetches of the weights and of onnxruntime's wasm went through the guard that
      // blocks other origins: so the empty foreignRequests below covers the worker too.
      expect(app.page.workers().map((w) => w.url())).toContainEqual(
        expect.stringMatching(/\/assets\/model\.worker-[^/]+\.js$/),
      );
      expect(app.sameOriginRequests).toContain(new URL('/models/rolescope-tiny-en/onnx/model.onnx', url).href);
      expect(app.sameOriginRequests.map((r) => new URL(r).pathname)).toContainEqual(
        expect.stringMatching(/^\/assets\/ort-wasm[^/]*\.wasm$/),
      );

      const summary = app.page.getByTestId('golden-summary');
      expect(await summary.getAttribute('data-from-cache')).toBe('false');
      const browserMean = Number(await summary.getAttribute('data-mean'));
      expect(Math.abs(browserMean - nodeMean)).toBeLessThan(1e-4);

      const tokens = app.page.getByTestId('heatmap').locator('.token');
      expect(await tokens.count()).toBeGreaterThan(3);
      await tokens.nth(1).hover();
      await expect
        .poll(() => app.page.getByTestId('token-detail').textContent())
        .toMatch(/log-prob -?\d+\.\d{3} nats .* rank \d+/);
      expect((await app.page.getByTestId('generation').textContent())!.trim().length).toBeGreaterThan(0);
      await screenshot(app.page, 'first-screen');

      await app.page.reload();
      await waitUntilReady(app.page);
      expect(await summary.getAttribute('data-from-cache')).toBe('true');
      expect(Number(await summary.getAttribute('data-mean'))).toBe(browserMean);
      expect(await app.page.getByTestId('generation-meta').textContent()).toContain('From the cache');

      // Another sample, picked as a user would.
      await app.page.getByLabel('Sample', { exact: true }).selectOption(demo.samples[7]!.id);
      await waitUntilReady(app.page);
      expect(await summary.getAttribute('data-from-cache')).toBe('false');

      expect(app.foreignRequests).toEqual([]);
      expect(app.pageErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});

describe('first screen on WebGPU (CPU adapter)', () => {
  it('runs the model on webgpu, agrees with wasm, and goes on on wasm when the device is lost', async () => {
    const app = await openApp(url, { webgpu: true });
    try {
      await app.page.goto(url);
      await waitUntilReady(app.page, 280_000);
      expect(await app.page.getByTestId('device').getAttribute('data-device')).toBe('webgpu');
      const summary = app.page.getByTestId('golden-summary');
      const mean = Number(await summary.getAttribute('data-mean'));
      expect(Math.abs(mean - nodeMean)).toBeLessThan(1e-3);

      // The device is lost (destroyed, as a driver reset or a reclaimed GPU would leave it) at the
      // next GPU command the model worker records: the next sample is scored on wasm, and says so.
      const worker = app.page.workers().find((w) => /\/assets\/model\.worker-[^/]+\.js$/.test(w.url()))!;
      await loseGpuDeviceAtNextCommand(worker);
      await app.page.getByLabel('Sample', { exact: true }).selectOption(demo.samples[7]!.id);
      await waitUntilReady(app.page, 280_000);
      const badge = app.page.getByTestId('device');
      expect(await badge.getAttribute('data-device')).toBe('wasm');
      expect(await badge.textContent()).toContain('the WebGPU device was lost');
      expect(await summary.getAttribute('data-from-cache')).toBe('false');
      expect(Math.abs(Number(await summary.getAttribute('data-mean')) - nodeMeanAfterLoss)).toBeLessThan(1e-4);
      expect(errorsBesidesLostDevice(app.pageErrors)).toEqual([]);
      expect(app.foreignRequests).toEqual([]);
    } finally {
      await app.close();
    }
  });
});

describe('first visit with the HTTP cache on', () => {
  it('loads the bundled model on a fresh profile, twice', async () => {
    // Routed sessions bypass the HTTP cache; a user's browser does not. A bundled model.onnx
    // fetched twice at once through the HTTP cache used to fail ("network error") on most visits.
    for (let visit = 0; visit < 2; visit++) {
      const app = await openApp(url, { observeOnly: true });
      try {
        await app.page.goto(url);
        await waitUntilReady(app.page);
        expect(app.foreignRequests).toEqual([]);
        expect(app.pageErrors).toEqual([]);
      } finally {
        await app.close();
      }
    }
  });
});
