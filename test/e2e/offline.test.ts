/**
 * Offline use in the built app: the first visit installs the service worker, whose
 * badge says "Available offline" once every precached file is stored; then, with the browser
 * offline and the server stopped, a reload still opens the app, loads a bundled model (one never
 * loaded online, so its files can only come from the precache), scores with it on onnxruntime's
 * wasm, loads the demo benchmark, stays cross-origin isolated, and sends nothing off the origin.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreviewServer } from 'vite';
import type { BundledManifest } from '../../src/core/index.js';
import {
  CHROME_PATH,
  openApp,
  precachedUrls,
  startPreview,
  waitUntilOfflineReady,
  waitUntilReady,
} from '../helpers/browser.js';

const manifest = JSON.parse(readFileSync('public/models/manifest.json', 'utf8')) as BundledManifest;
let server: PreviewServer | undefined;
let url: string;

beforeAll(async () => {
  if (!existsSync('dist/sw.js')) throw new Error('dist/sw.js is missing: run `npm run build` (npm test does)');
  if (!existsSync(CHROME_PATH))
    throw new Error(`no Chromium at ${CHROME_PATH}: apt-get install chromium, or set CHROME_PATH`);
  ({ server, url } = await startPreview());
});

afterAll(async () => {
  await server?.close();
});

/** The path of a URL, for comparing requests with precache entries. */
const pathOf = (href: string) => new URL(href).pathname;

describe('offline', () => {
  it('reloads offline from the service worker: app, wasm, bundled models and demo benchmark', async () => {
    const app = await openApp(url);
    // Responses the service worker answered (page and workers): proof of where files came from.
    const fromServiceWorker: string[] = [];
    app.context.on('response', (response) => {
      if (response.fromServiceWorker()) fromServiceWorker.push(response.url());
    });
    try {
      // First visit, online: the app works and the service worker stores its files meanwhile.
      await app.page.goto(url);
      const badge = app.page.getByTestId('offline-badge');
      await waitUntilReady(app.page);
      await waitUntilOfflineReady(app.page);
      expect(await badge.textContent()).toContain('Available offline');
      expect(await badge.getAttribute('role')).toBe('status');
      const total = Number(await badge.getAttribute('data-total'));
      expect(Number(await badge.getAttribute('data-cached'))).toBe(total);

      // What is precached: the shell, every built asset (workers, onnxruntime's wasm and its .mjs),
      // the demo data, and each bundled model's files as its manifest lists them; nothing else.
      const precached = (await precachedUrls(app.page)).map(pathOf);
      expect(precached).toHaveLength(total);
      expect(precached).toContain('/index.html');
      expect(precached).toContainEqual(expect.stringMatching(/^\/assets\/ort-wasm[^/]*\.wasm$/));
      expect(precached).toContainEqual(expect.stringMatching(/^\/assets\/ort-wasm[^/]*\.mjs$/));
      expect(precached).toContainEqual(expect.stringMatching(/^\/assets\/model\.worker-[^/]+\.js$/));
      expect(precached).toContain('/data/demo-benchmark.json');
      expect(precached).toContain('/samples/demo-samples.json');
      expect(precached).toContain('/models/manifest.json');
      for (const model of manifest.models) {
        for (const file of Object.keys(model.files)) expect(precached).toContain(`/models/${model.id}/${file}`);
      }
      const modelFiles = manifest.models.flatMap((m) => Object.keys(m.files).map((f) => `/models/${m.id}/${f}`));
      const expected = (p: string) =>
        /^\/(index\.html|icon\.svg|manifest\.webmanifest|data\/demo-benchmark\.json|models\/manifest\.json)$/.test(p) ||
        /^\/assets\/[^/]+\.(js|mjs|css|wasm)$/.test(p) ||
        /^\/samples\/[^/]+\.json$/.test(p) ||
        modelFiles.includes(p);
      expect(precached.filter((p) => !expected(p))).toEqual([]);
      // Every same-origin file the app asked for online is among them (the service worker's
      // own script aside), so nothing it needs is missing offline.
      const asked = new Set(app.sameOriginRequests.map(pathOf).map((p) => (p === '/' ? '/index.html' : p)));
      asked.delete('/sw.js');
      expect([...asked].filter((p) => !precached.includes(p))).toEqual([]);

      // Installable as a PWA: Chromium finds nothing missing in the manifest, its icon or the
      // service worker (that the test's browser context is a private window aside).
      const cdp = await app.context.newCDPSession(app.page);
      const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as {
        installabilityErrors: { errorId: string }[];
      };
      expect(installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito')).toEqual([]);
      await cdp.detach();

      // transformers.js keeps no copy of its own of the app's files (env.useBrowserCache is on for
      // Hub models only, env.useWasmCache is off): everything the app needs below must come from
      // the service worker's precache, and nothing is stored twice.
      expect(await app.page.evaluate(() => caches.keys())).not.toContain('transformers-cache');

      // Offline: the browser's network is cut and the server is gone.
      await app.context.setOffline(true);
      await server!.close();
      server = undefined;
      const reachedNetwork = app.sameOriginRequests.length;
      fromServiceWorker.length = 0;

      await app.page.reload();
      await waitUntilReady(app.page);
      expect(await app.page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
      expect(await app.page.evaluate(() => self.crossOriginIsolated)).toBe(true);
      expect(await app.page.getByTestId('device').getAttribute('data-device')).toBe('wasm');
      await waitUntilOfflineReady(app.page);

      // A model never loaded online: its files can only come from the precache, and it scores.
      const other = manifest.models.find((m) => m.id !== 'rolescope-tiny-en')!;
      await app.page.getByLabel('Model', { exact: true }).selectOption(other.id);
      await waitUntilReady(app.page);
      const summary = app.page.getByTestId('golden-summary');
      expect(await summary.getAttribute('data-from-cache')).toBe('false');
      expect(Number.isFinite(Number(await summary.getAttribute('data-mean')))).toBe(true);
      const worker = app.page.workers().find((w) => /\/assets\/model\.worker-[^/]+\.js$/.test(w.url()));
      expect(worker).toBeDefined();
      expect(await worker!.evaluate(() => self.crossOriginIsolated)).toBe(true);

      // The demo benchmark on the Benchmark tab.
      await app.page.getByTestId('tab-benchmark').click();
      await app.page.getByTestId('load-demo').click();
      await app.page.waitForFunction(
        () => {
          const status = document.querySelector('[data-testid="benchmark-status"]');
          return status?.getAttribute('data-status') === 'ready' || status?.getAttribute('data-status') === 'error';
        },
        undefined,
        { timeout: 60_000 },
      );
      expect(await app.page.getByTestId('benchmark-status').getAttribute('data-status')).toBe('ready');
      expect(await app.page.getByTestId('benchmark-loaded').getAttribute('data-source')).toBe('demo-benchmark.json');

      // Where the files came from: the service worker, for the page, its module worker, the
      // wasm and the model; the requests that still reached the (dead) network are at most the
      // browser's check for a newer service worker.
      const served = fromServiceWorker.map(pathOf);
      expect(served).toContain('/');
      expect(served).toContainEqual(expect.stringMatching(/^\/assets\/model\.worker-[^/]+\.js$/));
      expect(served).toContainEqual(expect.stringMatching(/^\/assets\/ort-wasm[^/]*\.wasm$/));
      expect(served).toContainEqual(expect.stringMatching(/^\/assets\/ort-wasm[^/]*\.mjs$/));
      expect(served).toContain('/models/rolescope-tiny-en/onnx/model.onnx');
      expect(served).toContain(`/models/${other.id}/onnx/model.onnx`);
      expect(served).toContain('/data/demo-benchmark.json');
      expect(
        app.sameOriginRequests
          .slice(reachedNetwork)
          .map(pathOf)
          .filter((p) => p !== '/sw.js'),
      ).toEqual([]);

      expect(app.foreignRequests).toEqual([]);
      expect(app.pageErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
