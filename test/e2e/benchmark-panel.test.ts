/**
 * The benchmark panel in the built app, in Chromium: the demo benchmark's categories and counts
 * equal what the core validator computes in Node; filtering and selecting work; a refused file
 * shows the validator's own error lines and leaves the loaded benchmark as it was; a 20,000-sample
 * file stays virtualized. No request ever leaves the page's origin.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { SHIFT_FAMILIES } from '../../src/core/benchmark/format.js';
import { formatIssue, validateBenchmarkText } from '../../src/core/benchmark/validate.js';
import { CHROME_PATH, openApp, screenshot, startPreview, type AppSession } from '../helpers/browser.js';

const DEMO_PATH = 'public/data/demo-benchmark.json';

let server: PreviewServer;
let app: AppSession;

/** Waits until the panel reports `status` for the file `source`. */
async function waitForBenchmark(page: Page, status: string, source: string, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    ([status, source]) => {
      const el = document.querySelector('[data-testid="benchmark-status"]');
      return el?.getAttribute('data-status') === status && el.getAttribute('data-source') === source;
    },
    [status, source] as const,
    { timeout },
  );
}

/** IDs of the rows in the DOM; the list renders its rows once it has measured its viewport. */
async function rowIds(page: Page): Promise<(string | null)[]> {
  await page.getByTestId('sample-row').first().waitFor();
  return page.getByTestId('sample-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
}

beforeAll(async () => {
  if (!existsSync('dist/index.html')) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  if (!existsSync(CHROME_PATH))
    throw new Error(`no Chromium at ${CHROME_PATH}: apt-get install chromium, or set CHROME_PATH`);
  if (!existsSync(DEMO_PATH)) throw new Error(`${DEMO_PATH} is missing: run \`npm run build:benchmark\``);
  let url: string;
  ({ server, url } = await startPreview());
  app = await openApp(url);
  await app.page.goto(url);
  await app.page.getByRole('tab', { name: 'Benchmark' }).click();
});

afterAll(async () => {
  await app?.close();
  await server?.close();
});

describe('benchmark panel', () => {
  it('loads the demo benchmark: categories and counts as the core computes them; filter; select', async () => {
    const expected = validateBenchmarkText(readFileSync(DEMO_PATH, 'utf8'));
    if (!expected.ok) throw new Error(`the demo benchmark does not validate: ${formatIssue(expected.errors[0]!)}`);
    const { categories, samples } = expected.benchmark;
    const { page } = app;

    await page.getByRole('button', { name: 'Load demo benchmark' }).click();
    await waitForBenchmark(page, 'ready', 'demo-benchmark.json');

    const shown = await page.getByTestId('category-row').evaluateAll((rows) =>
      rows.map((r) => ({
        tag: r.getAttribute('data-tag'),
        count: Number(r.querySelector('[data-testid="category-count"]')!.textContent!.replace(/,/g, '')),
      })),
    );
    const byTag = (a: { tag: string | null }, b: { tag: string | null }) => (a.tag! < b.tag! ? -1 : 1);
    expect(shown.sort(byTag)).toEqual(categories.map((c) => ({ tag: c.tag, count: c.sampleCount })).sort(byTag));
    const totals = await page
      .getByTestId('family-total')
      .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-family'), Number(r.getAttribute('data-count'))]));
    const expectedTotals = SHIFT_FAMILIES.map((f) => [
      f,
      categories.filter((c) => c.family === f).reduce((n, c) => n + c.sampleCount, 0),
    ]).filter(([, n]) => n !== 0);
    expect(totals).toEqual(expectedTotals);
    expect(await page.getByTestId('sample-count').getAttribute('data-count')).toBe(String(samples.length));

    // Filter to the last category, then select its first sample by mouse and its second by keyboard.
    const category = categories[categories.length - 1]!;
    const inCategory = samples.filter((s) => s.category === category.tag);
    await page
      .locator(`[data-testid="category-row"][data-tag=${JSON.stringify(category.tag)}] [data-testid="category-filter"]`)
      .click();
    await expect
      .poll(() => page.getByTestId('sample-count').getAttribute('data-count'))
      .toBe(String(category.sampleCount));
    const ids = await rowIds(page);
    expect(ids[0]).toBe(inCategory[0]!.id);
    expect(ids.every((id) => inCategory.some((s) => s.id === id))).toBe(true);

    await page.locator(`[data-testid="sample-row"][data-id=${JSON.stringify(inCategory[0]!.id)}]`).click();
    const detail = page.getByTestId('benchmark-sample');
    await expect.poll(() => detail.getAttribute('data-id')).toBe(inCategory[0]!.id);
    expect(await page.getByTestId('benchmark-sample').getByTestId('detail-golden').textContent()).toBe(
      inCategory[0]!.goldenResponse,
    );
    expect(await page.getByTestId('benchmark-sample').getByTestId('detail-persona').textContent()).toBe(
      inCategory[0]!.userPersona.trim() || '(unknown)',
    );
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => detail.getAttribute('data-id')).toBe(inCategory[1]!.id);
    expect(await page.getByTestId('benchmark-sample').getByTestId('detail-golden').textContent()).toBe(
      inCategory[1]!.goldenResponse,
    );
    await screenshot(page, 'benchmark');

    expect(app.foreignRequests).toEqual([]);
    expect(app.pageErrors).toEqual([]);
  });

  it('refuses an invalid file with the validator’s own errors and keeps the loaded benchmark', async () => {
    const { page } = app;
    const sample = (id: string, dialogue: object[]) => ({
      sample_ID: id,
      user_persona: '',
      agent_character: 'A retired sailor who loves knots.',
      dialogue_context: dialogue,
      agent_golden_response: 'A loop knot that does not slip.',
      subset_tag: 'IDTest',
    });
    const text = JSON.stringify([
      sample('a', [{ user_query: 'What is a bowline?' }]),
      sample('b', [{ user_query: 'Hi!' }, { agent_response: 'Hello, sailor.' }]),
      sample('a', [{ user_query: 'And a clove hitch?' }]),
    ]);
    const expected = validateBenchmarkText(text);
    if (expected.ok) throw new Error('the invalid file validated');
    expect(expected.errors.length).toBeGreaterThanOrEqual(2);
    const rowsBefore = await page.getByTestId('category-row').count();

    await page.getByTestId('benchmark-file').setInputFiles({
      name: 'broken.json',
      mimeType: 'application/json',
      buffer: Buffer.from(text),
    });
    await waitForBenchmark(page, 'refused', 'broken.json');

    expect(await page.getByTestId('benchmark-error').allTextContents()).toEqual(expected.errors.map(formatIssue));
    expect(await page.getByTestId('benchmark-error-count').getAttribute('data-count')).toBe(
      String(expected.errorCount),
    );
    // Nothing of the refused file was taken: the demo benchmark is still the one loaded.
    expect(await page.getByTestId('benchmark-loaded').getAttribute('data-source')).toBe('demo-benchmark.json');
    expect(await page.getByTestId('category-row').count()).toBe(rowsBefore);

    // Copy errors, with the clipboard blocked: the text is selected in a read-only textarea.
    await page.evaluate(() => {
      navigator.clipboard.writeText = () => Promise.reject(new DOMException('blocked', 'NotAllowedError'));
    });
    await page.getByRole('button', { name: 'Copy errors' }).click();
    const manual = page.getByTestId('errors-text');
    await manual.waitFor();
    expect(await manual.inputValue()).toBe(expected.errors.map(formatIssue).join('\n') + '\n');
    expect(await manual.evaluate((el: HTMLTextAreaElement) => el.selectionEnd - el.selectionStart)).toBe(
      (await manual.inputValue()).length,
    );

    // The drop zone takes a dropped file the same way.
    const truncated = text.slice(0, 200);
    const dropped = validateBenchmarkText(truncated);
    if (dropped.ok) throw new Error('the truncated file validated');
    const dataTransfer = await page.evaluateHandle((body) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([body], 'dropped.json', { type: 'application/json' }));
      return transfer;
    }, truncated);
    await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer });
    await waitForBenchmark(page, 'refused', 'dropped.json');
    expect(await page.getByTestId('benchmark-error').allTextContents()).toEqual(dropped.errors.map(formatIssue));
    expect(await page.getByTestId('benchmark-loaded').getAttribute('data-source')).toBe('demo-benchmark.json');

    expect(app.foreignRequests).toEqual([]);
    expect(app.pageErrors).toEqual([]);
  });

  it('loads 20,000 samples into a virtualized list and scrolls to the last one', async () => {
    const { page } = app;
    const total = 20_000;
    const lines: string[] = [];
    for (let i = 0; i < total; i++) {
      lines.push(
        JSON.stringify({
          sample_ID: `large-${String(i).padStart(5, '0')}`,
          user_persona: i % 2 ? 'I grow tomatoes.' : '',
          agent_character: { name: `Character ${i % 97}`, profile: 'Keeps a lighthouse and answers briefly.' },
          dialogue_context: [{ user_query: `Question number ${i}: what do you see tonight?` }],
          agent_golden_response: `Answer number ${i}: ships, and the sea.`,
          subset_tag: i % 4 === 3 ? 'TurnLevelComposition' : 'IDTest',
          language: 'en',
        }),
      );
    }
    const lastId = `large-${total - 1}`;

    await page.getByTestId('benchmark-file').setInputFiles({
      name: 'large.jsonl',
      mimeType: 'application/json',
      buffer: Buffer.from(lines.join('\n') + '\n'),
    });
    await waitForBenchmark(page, 'ready', 'large.jsonl', 120_000);
    expect(await page.getByTestId('sample-count').getAttribute('data-count')).toBe(String(total));
    expect(await page.getByTestId('benchmark-refusal').count()).toBe(0);

    const list = page.getByTestId('sample-list');
    const before = await rowIds(page);
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThan(200);
    expect(before[0]).toBe('large-00000');

    await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.locator(`[data-testid="sample-row"][data-id="${lastId}"]`).waitFor({ state: 'visible' });
    const after = await rowIds(page);
    expect(after.length).toBeLessThan(200);
    expect(after).not.toContain('large-00000');

    // Keyboard: Home selects the first sample and scrolls back to it.
    await list.focus();
    await page.keyboard.press('Home');
    await expect.poll(() => page.getByTestId('benchmark-sample').getAttribute('data-id')).toBe('large-00000');
    await page.locator('[data-testid="sample-row"][data-id="large-00000"]').waitFor({ state: 'visible' });

    expect(app.foreignRequests).toEqual([]);
    expect(app.pageErrors).toEqual([]);
  });
});
