/**
 * Serves the built app (dist/) with Vite's preview server on 127.0.0.1 and drives Debian's
 * Chromium with playwright-core (never a downloaded browser). Every request that leaves the
 * page's origin is recorded and blocked, so a test can assert there were none.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Worker } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { preview, type PreviewServer } from 'vite';

export const CHROME_PATH = process.env.CHROME_PATH ?? '/usr/bin/chromium';

const FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
  '--disable-quic',
];

export interface AppSession {
  readonly url: string;
  readonly page: Page;
  readonly context: BrowserContext;
  /** Requests to any origin other than the app's, in order (each one was blocked). */
  readonly foreignRequests: string[];
  /**
   * Same-origin requests that passed the guard, in order: proof of what the guard sees (requests
   * made by the page's workers included), so that an empty `foreignRequests` means something.
   */
  readonly sameOriginRequests: string[];
  /** Console errors and uncaught page errors. */
  readonly pageErrors: string[];
  close(): Promise<void>;
}

export async function startPreview(): Promise<{ server: PreviewServer; url: string }> {
  const server = await preview({ preview: { port: 0, host: '127.0.0.1', strictPort: false }, logLevel: 'warn' });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('the preview server did not report a URL');
  return { server, url };
}

export async function openApp(
  url: string,
  options: {
    webgpu?: boolean;
    /**
     * Record requests without routing them. Routing turns the browser's HTTP cache off, so only
     * an unrouted session loads the app as a user's browser does; foreign requests are then
     * recorded but not blocked.
     */
    observeOnly?: boolean;
    /**
     * A browser whose user blocked site data (Chrome's "Don't allow sites to save data" setting,
     * in a profile of its own): IndexedDB, Cache Storage and service workers are refused to the
     * page and to its workers, as in a locked-down or some private windows. `browser` is null then.
     */
    blockSiteData?: boolean;
  } = {},
): Promise<AppSession & { browser: Browser | null }> {
  const launch = {
    executablePath: CHROME_PATH,
    headless: true,
    args: [...FLAGS, ...(options.webgpu ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan'] : [])],
  };
  let browser: Browser | null = null;
  let context: BrowserContext;
  let profile: string | null = null;
  if (options.blockSiteData) {
    profile = mkdtempSync(path.join(tmpdir(), 'rolescope-profile-'));
    mkdirSync(path.join(profile, 'Default'));
    // 2 = block: the content setting behind "Don't allow sites to save data on your device".
    const preferences = { profile: { default_content_setting_values: { cookies: 2 } } };
    writeFileSync(path.join(profile, 'Default', 'Preferences'), JSON.stringify(preferences));
    context = await chromium.launchPersistentContext(profile, launch);
  } else {
    browser = await chromium.launch(launch);
    context = await browser.newContext();
  }
  const origin = new URL(url).origin;
  const foreignRequests: string[] = [];
  const sameOriginRequests: string[] = [];
  const pageErrors: string[] = [];
  /** Records a request; true when it may go ahead (same origin, or data: and blob: URLs). */
  const record = (requestUrl: string): boolean => {
    if (requestUrl.startsWith('data:') || requestUrl.startsWith('blob:')) return true;
    if (new URL(requestUrl).origin === origin) {
      sameOriginRequests.push(requestUrl);
      return true;
    }
    foreignRequests.push(requestUrl);
    return false;
  };
  if (options.observeOnly) context.on('request', (request) => void record(request.url()));
  else
    await context.route('**/*', (route) =>
      record(route.request().url()) ? route.continue() : route.abort('blockedbyclient'),
    );
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  return {
    url,
    page,
    context,
    browser,
    foreignRequests,
    sameOriginRequests,
    pageErrors,
    close: async () => {
      await (browser ?? context).close();
      if (profile) rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Waits until the app reports `ready` (or fails fast with its error message). */
export async function waitUntilReady(page: Page, timeoutMs = 240_000): Promise<void> {
  const status = page.getByTestId('status');
  await page.waitForFunction(
    () => {
      const phase = document.querySelector('[data-testid="status"]')?.getAttribute('data-phase');
      return phase === 'ready' || phase === 'error';
    },
    undefined,
    { timeout: timeoutMs },
  );
  if ((await status.getAttribute('data-phase')) === 'error') {
    throw new Error(`the app reported an error: ${await page.getByTestId('error').textContent()}`);
  }
}

/**
 * With ROLESCOPE_SCREENSHOTS=<folder>, saves a PNG of the page (or of one element) there: the
 * README's screenshots come from the real app in these tests, not from mock-ups.
 */
export async function screenshot(page: Page, name: string, testId?: string): Promise<void> {
  const folder = process.env.ROLESCOPE_SCREENSHOTS;
  if (!folder) return;
  const path = `${folder}/${name}.png`;
  if (testId) await page.getByTestId(testId).screenshot({ path });
  else await page.screenshot({ path, fullPage: true });
}

/**
 * Waits until the header's offline badge says the service worker has every precached file in its
 * cache (`ready`), or fails fast when it reports that offline use is unavailable or incomplete.
 */
export async function waitUntilOfflineReady(page: Page, timeoutMs = 120_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const state = document.querySelector('[data-testid="offline-badge"]')?.getAttribute('data-state');
      return state === 'ready' || state === 'unavailable' || state === 'incomplete';
    },
    undefined,
    { timeout: timeoutMs },
  );
  const badge = page.getByTestId('offline-badge');
  if ((await badge.getAttribute('data-state')) !== 'ready') {
    throw new Error(`the app is not available offline: ${await badge.textContent()}`);
  }
}

/** The URLs in the service worker's precache (Workbox's revision parameter removed), in the page. */
export async function precachedUrls(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) {
      if (!name.startsWith('workbox-precache')) continue;
      for (const request of await (await caches.open(name)).keys()) {
        const url = new URL(request.url);
        url.searchParams.delete('__WB_REVISION__');
        urls.push(url.href);
      }
    }
    return urls.sort();
  });
}

/**
 * Serves the built app for one test file: checks dist/ and Chromium are there before the tests,
 * stops the server after them. Returns a getter for the URL (known once the server is up).
 */
export function useBuiltApp(): () => string {
  let server: PreviewServer | undefined;
  let url = '';
  beforeAll(async () => {
    if (!existsSync('dist/index.html')) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
    if (!existsSync(CHROME_PATH))
      throw new Error(`no Chromium at ${CHROME_PATH}: apt-get install chromium, or set CHROME_PATH`);
    ({ server, url } = await startPreview());
  });
  afterAll(async () => {
    await server?.close();
  });
  return () => url;
}

/**
 * The page errors other than transformers.js's report of a model run that failed because the
 * WebGPU device was lost under it: the error (naming the lost device), then the inputs the run
 * was given. It comes only when that run fails before the worker is terminated, so a test that
 * loses the device may or may not see it.
 */
export function errorsBesidesLostDevice(errors: readonly string[]): string[] {
  const lost = errors.filter((e) => /device (was|is) lost/i.test(e));
  return errors.filter((e) => !lost.includes(e) && !(lost.length > 0 && /^Inputs given to model:/.test(e)));
}

/**
 * Makes a worker's WebGPU device lost at its next GPU command: the device is destroyed, as a
 * driver reset or a reclaimed GPU leaves it (its `lost` promise resolves, every later use fails).
 */
export async function loseGpuDeviceAtNextCommand(worker: Worker): Promise<void> {
  await worker.evaluate(() => {
    const proto = (self as unknown as { GPUDevice: { prototype: Record<string, unknown> } }).GPUDevice.prototype;
    const record = proto.createCommandEncoder as (this: { destroy(): void }, ...args: unknown[]) => unknown;
    proto.createCommandEncoder = function (this: { destroy(): void }, ...args: unknown[]) {
      this.destroy();
      return record.apply(this, args);
    };
  });
}
