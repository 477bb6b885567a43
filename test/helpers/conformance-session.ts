/**
 * The browser conformance page (test/browser/conformance.html) served by a Vite dev server from
 * the repository's root, so its worker runs the app's sources and the bundled models are served
 * from public/ as the app serves them. Offline: every request that leaves the page's origin is
 * aborted.
 */
import { chromium, type Browser } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import type { ConformanceApi } from '../browser/conformance-types.js';
import { CHROME_PATH } from './browser.js';

export interface ConformanceSession {
  /** The page's `window.conformance`, called from Node: each call runs in a fresh worker. */
  readonly conformance: ConformanceApi;
  close(): Promise<void>;
}

type PageApi = { conformance: ConformanceApi };

export async function openConformancePage(): Promise<ConformanceSession> {
  let server: ViteDevServer | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await server?.close();
  };
  try {
    // No reloads: the page must not navigate away while a run is in flight. So every dependency is
    // found before the page asks (the worker's too): one found later would need a reload.
    server = await createServer({
      server: { port: 0, host: '127.0.0.1', hmr: false },
      optimizeDeps: { entries: ['test/browser/conformance.html', 'test/browser/conformance.worker.ts'] },
      logLevel: 'warn',
    });
    await server.listen();
    const origin = new URL(server.resolvedUrls!.local[0]!).origin;
    browser = await chromium.launch({
      executablePath: CHROME_PATH,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--enable-unsafe-webgpu'],
    });
    const page = await browser.newPage();
    // Nothing but the page's own origin.
    await page.route('**/*', (route) =>
      new URL(route.request().url()).origin === origin ? route.continue() : route.abort(),
    );
    await page.goto(`${origin}/test/browser/conformance.html`, { timeout: 120_000 });
    await page.waitForSelector('body[data-ready="true"]');
    const conformance: ConformanceApi = {
      run: (...args) => page.evaluate((a) => (window as unknown as PageApi).conformance.run(...a), args),
      bundled: (...args) => page.evaluate((a) => (window as unknown as PageApi).conformance.bundled(...a), args),
    };
    return { conformance, close };
  } catch (error) {
    await close();
    throw error;
  }
}
