/**
 * The storage view in Chromium: after the first screen has scored and generated, the view counts
 * what IndexedDB and Cache Storage hold for the app (checked against the stores themselves), shows
 * the quota, and deleting an item empties exactly that store.
 */
import { describe, expect, it } from 'vitest';
import { openApp, waitUntilReady, useBuiltApp } from '../helpers/browser.js';

const appUrl = useBuiltApp();

describe('storage view', () => {
  it('lists what the browser keeps, with the quota, and deletes one item', async () => {
    const app = await openApp(appUrl());
    const { page } = app;
    try {
      await page.goto(appUrl());
      await waitUntilReady(page);
      // The counts the page's IndexedDB holds, read directly.
      const direct = await page.evaluate(
        () =>
          new Promise<Record<string, number>>((resolve, reject) => {
            const open = indexedDB.open('rolescope');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const db = open.result;
              const names = ['scores', 'generations', 'runs'];
              const tx = db.transaction(names, 'readonly');
              const out: Record<string, number> = {};
              for (const n of names)
                tx.objectStore(n).count().onsuccess = (e) => (out[n] = (e.target as IDBRequest<number>).result);
              tx.oncomplete = () => {
                db.close();
                resolve(out);
              };
            };
          }),
      );
      expect(direct.scores).toBeGreaterThan(0);

      await page.getByTestId('tab-storage').click();
      const item = (name: string) => page.locator(`[data-testid="storage-item"][data-name="${name}"]`);
      await expect.poll(() => item('scores').getAttribute('data-entries')).toBe(String(direct.scores));
      expect(await item('generations').getAttribute('data-entries')).toBe(String(direct.generations));
      expect(await item('runs').getAttribute('data-entries')).toBe(String(direct.runs));
      await expect.poll(() => page.getByTestId('storage-quota').textContent()).toMatch(/uses \d.* of the \d/);

      await item('scores')
        .getByRole('button', { name: /Delete/ })
        .click();
      await expect.poll(() => item('scores').getAttribute('data-entries')).toBe('0');
      expect(await item('generations').getAttribute('data-entries')).toBe(String(direct.generations));
      expect(app.foreignRequests).toEqual([]);
      expect(app.pageErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
