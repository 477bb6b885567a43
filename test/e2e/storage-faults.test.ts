/**
 * Storage faults in Chromium, each checked against an uninterrupted run of the same small job:
 *
 * - the disk fills up mid-run (QuotaExceededError): the run goes on from memory, says so, and
 *   offers its results for download; they equal the uninterrupted run's, and nothing half-written
 *   is left in IndexedDB;
 * - the browser stores nothing (site data blocked): the app starts, the first screen scores, a run
 *   finishes with the same numbers, and the page says that nothing is saved;
 * - two tabs run the same job at once over one IndexedDB: both finish with the uninterrupted
 *   numbers, the cache they wrote serves a third run whole, and a newer version opening the
 *   database is not blocked by either tab (they close their connections and say so on next use).
 *
 * How the quota is simulated: Chromium ignores CDP's Storage.overrideQuotaForOrigin in headless
 * mode (tried: writes still succeed), so a script makes this realm's IndexedDB behave as Chromium
 * does when a commit would exceed the quota: once `self.__rolescopeDiskFull` is set, every write
 * transaction aborts once its records are queued and reports QuotaExceededError as its error,
 * none of its records written. It
 * runs in the page (an init script) and in the evaluation worker, whose script Playwright serves
 * with it prepended (init scripts do not reach workers); the test sets the flag in both mid-run.
 *
 * How "no storage" is simulated: a Chromium profile with the user's "Don't allow sites to save
 * data" setting, the real thing: `indexedDB.open` fails with UnknownError in the page and in every
 * worker, and Cache Storage and service workers are refused too.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { ResultsFile } from '../../src/core/index.js';
import { DB_VERSION } from '../../src/storage/db.js';
import { openApp, useBuiltApp, waitUntilReady } from '../helpers/browser.js';
import { downloadResults, startDemoRun, waitForPhase } from '../helpers/run-panel.js';

const appUrl = useBuiltApp();
const EVALUATION_WORKER = /\/assets\/evaluation\.worker-[^/]+\.js$/;

/** Chromium's behaviour on a full disk, switched on by a flag (see the file's comment). */
const DISK_FULL = `(() => {
  const full = new WeakSet();
  const error = Object.getOwnPropertyDescriptor(IDBTransaction.prototype, 'error');
  Object.defineProperty(IDBTransaction.prototype, 'error', {
    configurable: true,
    get() {
      return full.has(this) ? new DOMException('The quota has been exceeded.', 'QuotaExceededError') : error.get.call(this);
    },
  });
  for (const method of ['put', 'add']) {
    const original = IDBObjectStore.prototype[method];
    IDBObjectStore.prototype[method] = function (...args) {
      const request = original.apply(this, args);
      const tx = this.transaction;
      if (self.__rolescopeDiskFull && !full.has(tx)) {
        full.add(tx);
        // At commit, as Chromium does: after the caller has queued the rest of its records.
        queueMicrotask(() => {
          try {
            tx.abort();
          } catch {}
        });
      }
      return request;
    };
  }
})();
`;

/** The uninterrupted run's results, for the fault tests to compare with. */
let uninterrupted: ResultsFile | null = null;

const startRun = (page: Page) =>
  startDemoRun(page, { estimator: 'rolescope-tiny-multi', samples: 3, pairs: 4, bootstrap: 50 });

/** R-EMID as the results table shows it, per category. */
const shownRemid = (page: Page) =>
  page
    .getByTestId('results-table')
    .locator('tbody tr')
    .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-category'), r.getAttribute('data-remid')]));

/** The same responses, pairs and numbers as the uninterrupted run. */
function expectUninterrupted(file: ResultsFile): void {
  const clean = uninterrupted!;
  expect(file.responses).toEqual(clean.responses);
  expect(file.rows.map((r) => [r.policy, r.category])).toEqual(clean.rows.map((r) => [r.policy, r.category]));
  file.rows.forEach((row, k) => {
    for (const key of ['miModel', 'miGold', 'emi', 'remid'] as const) {
      const want = clean.rows[k]![key];
      if (want === null) expect(row[key]).toBeNull();
      else expect(row[key]).toBeCloseTo(want, 6);
    }
  });
  expect(file.pairs).toHaveLength(clean.pairs.length);
  file.pairs.forEach((p, k) => expect(p.meanLogProb).toBeCloseTo(clean.pairs[k]!.meanLogProb, 6));
}

/** Every run score IndexedDB holds, checked as the store checks it on read. */
const storedPairScores = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<{ count: number; malformed: number }>((resolve, reject) => {
        const open = indexedDB.open('rolescope');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction('pairScores').objectStore('pairScores').getAll();
          all.onsuccess = () => {
            open.result.close();
            const records = all.result as { format: unknown; meanLogProb: unknown; tokens: unknown }[];
            const malformed = records.filter(
              (r) => r.format !== 2 || typeof r.meanLogProb !== 'number' || typeof r.tokens !== 'number',
            ).length;
            resolve({ count: records.length, malformed });
          };
        };
      }),
  );

describe('storage faults', () => {
  it('runs the small job uninterrupted (the reference for the faults)', async () => {
    const app = await openApp(appUrl());
    const { page } = app;
    try {
      await page.goto(appUrl());
      await startRun(page);
      await waitForPhase(page, 'done');
      uninterrupted = await downloadResults(page);
      expect(uninterrupted.rows.length).toBeGreaterThan(0);
      expect(await page.getByTestId('run-storage').count()).toBe(0);
      expect(await page.getByTestId('storage-warning').count()).toBe(0);
      expect(app.pageErrors).toEqual([]);
    } finally {
      await app.close();
    }
  }, 600_000);

  it('goes on from memory when the disk fills up mid-run, and offers the same results for download', async () => {
    expect(uninterrupted, 'the uninterrupted run goes first').not.toBeNull();
    const app = await openApp(appUrl());
    const { page, context } = app;
    try {
      await page.addInitScript({ content: DISK_FULL });
      await context.route(EVALUATION_WORKER, async (route) => {
        const response = await route.fetch();
        await route.fulfill({ response, body: DISK_FULL + (await response.text()) });
      });
      await page.goto(appUrl());
      await startRun(page);
      // Once the run has computed (and stored) something, the disk is full for the page and the worker.
      await page.waitForFunction(
        () => /[1-9]/.test(document.querySelector('[data-testid="run-rate"]')?.textContent ?? ''),
        undefined,
        { timeout: 300_000 },
      );
      const worker = page.workers().find((w) => EVALUATION_WORKER.test(w.url()));
      expect(worker).toBeDefined();
      await worker!.evaluate(() => ((self as unknown as { __rolescopeDiskFull: boolean }).__rolescopeDiskFull = true));
      await page.evaluate(() => ((self as unknown as { __rolescopeDiskFull: boolean }).__rolescopeDiskFull = true));
      await expect
        .poll(() => page.getByTestId('run-storage').getAttribute('data-problem'), { timeout: 300_000 })
        .toBe('full');
      // A write was refused: the writes before it (each awaited by the pipeline) have committed.
      const before = await storedPairScores(page);
      expect(await page.getByTestId('run-storage').textContent()).toMatch(/Storage full.*kept in memory.*Download/s);
      await waitForPhase(page, 'done');
      expect(await page.getByTestId('storage-warning').getAttribute('data-problem')).toBe('full');
      await expect.poll(() => page.getByTestId('results-csv').getAttribute('href')).toMatch(/^blob:/);
      const recovered = await downloadResults(page);
      expectUninterrupted(recovered);
      // The shown table is the file's.
      for (const [category, remid] of await shownRemid(page)) {
        const row = recovered.rows.find((r) => r.category === category)!;
        expect(remid).toBe(row.remid === null ? '' : String(row.remid));
      }
      // Every write after the disk filled was refused whole: what IndexedDB holds is what it held.
      const after = await storedPairScores(page);
      expect(after).toEqual(before);
      expect(after.malformed).toBe(0);
      expect(after.count).toBeGreaterThan(0);

      // Space freed: the run, still listed as interrupted (its end could not be saved), runs again
      // from what IndexedDB and the worker's memory hold, computes nothing, and is saved this time.
      await worker!.evaluate(() => ((self as unknown as { __rolescopeDiskFull: boolean }).__rolescopeDiskFull = false));
      await page.evaluate(() => ((self as unknown as { __rolescopeDiskFull: boolean }).__rolescopeDiskFull = false));
      const item = page.getByTestId('run-item').first();
      expect(await item.getAttribute('data-status')).toBe('interrupted');
      await item.getByTestId('run-resume').click();
      await waitForPhase(page, 'running', 10_000).catch(() => undefined);
      await waitForPhase(page, 'done');
      expect(Number(await page.getByTestId('results-computed').textContent())).toBe(0);
      expectUninterrupted(await downloadResults(page));
      expect(await page.getByTestId('run-storage').count()).toBe(0);
      await expect.poll(() => page.getByTestId('run-item').first().getAttribute('data-status')).toBe('done');
      // Stored again: the page-wide warning that the disk was full has gone.
      await expect.poll(() => page.getByTestId('storage-warning').count()).toBe(0);
    } finally {
      await app.close();
    }
  }, 600_000);

  it('starts, scores and runs in a browser that stores nothing, and says so', async () => {
    expect(uninterrupted, 'the uninterrupted run goes first').not.toBeNull();
    const app = await openApp(appUrl(), { blockSiteData: true });
    const { page } = app;
    try {
      await page.goto(appUrl());
      // The browser really refuses IndexedDB here (not a stub): the page sees the error itself.
      const refusal = await page.evaluate(
        () =>
          new Promise<string>((resolve) => {
            const open = indexedDB.open('probe');
            open.onsuccess = () => resolve('opened');
            open.onerror = () => resolve(open.error?.name ?? 'error');
          }),
      );
      expect(refusal).toBe('UnknownError');
      await waitUntilReady(page);
      // The first screen scored the golden response, with no cache to serve it.
      expect(await page.getByTestId('golden-summary').getAttribute('data-from-cache')).toBe('false');
      expect(await page.getByTestId('heatmap').locator('.token').count()).toBeGreaterThan(0);
      await expect.poll(() => page.getByTestId('storage-warning').getAttribute('data-problem')).toBe('unavailable');
      expect(await page.getByTestId('storage-warning').textContent()).toMatch(/nothing is saved/);

      await startRun(page);
      await expect.poll(() => page.getByTestId('run-list-error').textContent()).toMatch(/cannot be saved/);
      await waitForPhase(page, 'done');
      expect(await page.getByTestId('run-storage').getAttribute('data-problem')).toBe('unavailable');
      expectUninterrupted(await downloadResults(page));
    } finally {
      await app.close();
    }
  }, 600_000);

  it('lets two tabs run the same job at once without corrupting the cache, and never blocks an upgrade', async () => {
    expect(uninterrupted, 'the uninterrupted run goes first').not.toBeNull();
    const app = await openApp(appUrl());
    const { page: first, context } = app;
    const second = await context.newPage();
    try {
      await Promise.all([first.goto(appUrl()), second.goto(appUrl())]);
      await Promise.all([startRun(first), startRun(second)]);
      await Promise.all([waitForPhase(first, 'done'), waitForPhase(second, 'done')]);
      const [a, b] = [await downloadResults(first), await downloadResults(second)];
      expectUninterrupted(a);
      expectUninterrupted(b);
      expect(b.rows).toEqual(a.rows);

      // What the two tabs wrote, side by side, is whole: a third run is served from it entirely.
      expect((await storedPairScores(first)).malformed).toBe(0);
      await first.getByTestId('run-item').first().getByTestId('run-resume').click();
      await waitForPhase(first, 'running', 10_000).catch(() => undefined);
      await waitForPhase(first, 'done');
      expect(Number(await first.getByTestId('results-computed').textContent())).toBe(0);
      expectUninterrupted(await downloadResults(first));

      // A newer version of the app opens the database while both tabs (pages and workers) hold it:
      // every connection closes for it, so the upgrade is neither blocked nor kept waiting.
      const upgrade = await second.evaluate(
        (version) =>
          new Promise<{ blocked: boolean; version: number }>((resolve, reject) => {
            let blocked = false;
            const open = indexedDB.open('rolescope', version);
            open.onblocked = () => (blocked = true);
            open.onsuccess = () => {
              resolve({ blocked, version: open.result.version });
              open.result.close();
            };
            open.onerror = () => reject(open.error);
          }),
        DB_VERSION + 1,
      );
      expect(upgrade).toEqual({ blocked: false, version: DB_VERSION + 1 });
      // The older tab says so on its next use of the cache, and keeps working.
      await first.getByTestId('tab-explore').click();
      const samples = first.locator('#sample option');
      await first.locator('#sample').selectOption((await samples.nth(1).getAttribute('value'))!);
      await waitUntilReady(first);
      await expect.poll(() => first.getByTestId('storage-warning').getAttribute('data-problem')).toBe('outdated');
      expect(app.pageErrors).toEqual([]);
    } finally {
      await app.close();
    }
  }, 600_000);
});
