/**
 * Converting public data in the Benchmark tab, in Chromium with the built app: an Xpersona
 * English file as IDTest, then a French one as the user shift `french` added to it. The categories
 * table shows the counts importSource computes in Node for the same texts, the lacks line is shown,
 * the download link holds the converted benchmark, and a file of the wrong shape is refused in
 * place with the ImportError's message while the loaded benchmark stays. No request ever leaves
 * the page's origin.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { serializeDocument } from '../../src/core/benchmark/convert.js';
import { importSource, XPERSONA_LACKS, type ImportOptions } from '../../src/core/benchmark/importers/index.js';
import { formatIssue, validateBenchmarkText } from '../../src/core/benchmark/validate.js';
import { appendDocument } from '../../src/core/benchmark/convert.js';
import { CHROME_PATH, openApp, startPreview, type AppSession } from '../helpers/browser.js';

let server: PreviewServer;
let app: AppSession;

/** An Xpersona file: `turns[i]` (user, bot) turns in dialogue i. */
function xpersona(words: string, turns: readonly number[]): string {
  return JSON.stringify(
    turns.map((n, d) => ({
      persona: [`I am persona ${d} of the ${words} file.`, 'I keep a small boat.'],
      dialogue: Array.from({ length: n }, (_, t) => [
        `${words}: question ${t + 1} of dialogue ${d + 1}?`,
        `${words}: answer ${t + 1} of dialogue ${d + 1}.`,
      ]),
    })),
  );
}

/** Waits until the panel reports `status` for `source`. */
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

async function shownCategories(page: Page): Promise<{ tag: string | null; count: number }[]> {
  return page.getByTestId('category-row').evaluateAll((rows) =>
    rows.map((r) => ({
      tag: r.getAttribute('data-tag'),
      count: Number(r.querySelector('[data-testid="category-count"]')!.textContent!.replace(/,/g, '')),
    })),
  );
}

beforeAll(async () => {
  if (!existsSync('dist/index.html')) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  if (!existsSync(CHROME_PATH))
    throw new Error(`no Chromium at ${CHROME_PATH}: apt-get install chromium, or set CHROME_PATH`);
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

describe('benchmark panel: convert public data', () => {
  it('converts Xpersona English as IDTest, adds French as a user shift, and refuses a wrong-shape file', async () => {
    const { page } = app;
    // Three English dialogues of 4+ turns; one French dialogue too short for turn 4 (a note).
    const en = { name: 'En_persona_test.json', text: xpersona('english', [4, 5, 6]) };
    const fr = { name: 'Fr_persona_split_test_human_annotated.json', text: xpersona('français', [4, 2, 7]) };
    const frOptions: ImportOptions = { tag: 'french', declaration: { family: 'user', reference: 'IDTest' } };
    const enImport = importSource('xpersona', [en]);
    const frImport = importSource('xpersona', [fr], frOptions);
    const expectedCategories = [
      { tag: 'IDTest', count: enImport.document.splits.IDTest!.length },
      { tag: 'french', count: frImport.document.splits.french!.length },
    ];
    expect(expectedCategories.map((c) => c.count)).toEqual([3, 2]);
    const upload = (file: { name: string; text: string }) => ({
      name: file.name,
      mimeType: 'application/json',
      buffer: Buffer.from(file.text),
    });

    await page.getByText('Convert public data').click();
    const form = page.getByTestId('convert-form');
    await form.waitFor();
    // Nothing is loaded yet, so there is nothing to add to.
    expect(await page.getByLabel('Add to the loaded benchmark').isDisabled()).toBe(true);

    // 1. English as IDTest (the default tag).
    await page.getByLabel('Source', { exact: true }).selectOption('xpersona');
    await page.getByLabel('Source files').setInputFiles(upload(en));
    expect(await page.getByLabel('Category tag').inputValue()).toBe('IDTest');
    await page.getByRole('button', { name: 'Convert', exact: true }).click();
    await waitForBenchmark(page, 'ready', en.name);
    expect(await shownCategories(page)).toEqual(expectedCategories.slice(0, 1));
    expect(await page.getByTestId('conversion-lack').allTextContents()).toEqual(
      XPERSONA_LACKS.map((lack) => `lacks: ${lack}`),
    );

    // 2. French as the user shift "french", added to the loaded benchmark.
    await page.getByLabel('Source files').setInputFiles(upload(fr));
    await page.getByLabel('Category tag').fill('french');
    await page.getByLabel('Shift family').selectOption('user');
    expect(await page.getByLabel('Compared with').inputValue()).toBe('IDTest');
    await page.getByLabel('Add to the loaded benchmark').check();
    await page.getByRole('button', { name: 'Convert', exact: true }).click();
    const source = `${en.name} + ${fr.name}`;
    await waitForBenchmark(page, 'ready', source);

    const byTag = (a: { tag: string | null }, b: { tag: string | null }) => (a.tag! < b.tag! ? -1 : 1);
    expect((await shownCategories(page)).sort(byTag)).toEqual([...expectedCategories].sort(byTag));
    expect(await page.locator('[data-testid="category-row"][data-tag="french"] td').nth(1).textContent()).toBe('user');
    expect(await page.getByTestId('sample-count').getAttribute('data-count')).toBe(
      String(expectedCategories[0]!.count + expectedCategories[1]!.count),
    );
    expect(await page.getByTestId('conversion-lack').allTextContents()).toEqual([
      'lacks: user_persona (Xpersona has only the bot persona)',
    ]);
    expect(await page.getByTestId('conversion-note').allTextContents()).toEqual(
      frImport.notes.map((note) => `note: ${note}`),
    );

    // The download link holds the benchmark file that npm run import -- --append would write.
    const link = page.getByRole('link', { name: 'Download benchmark JSON' });
    expect(await link.getAttribute('download')).toBe('benchmark.json');
    expect(await link.getAttribute('href')).toMatch(/^blob:/);
    const downloaded = await link.evaluate(async (a: HTMLAnchorElement) => (await fetch(a.href)).text());
    expect(downloaded).toBe(serializeDocument(appendDocument(enImport.document, frImport.document)));
    const check = validateBenchmarkText(downloaded);
    expect(check.ok && check.benchmark.categories.map((c) => [c.tag, c.sampleCount])).toEqual(
      expectedCategories.map((c) => [c.tag, c.count]),
    );

    // 3. The French file read as Synthetic-Persona-Chat: refused in place, the benchmark kept.
    let importError = '';
    try {
      importSource('spc', [fr]);
    } catch (error) {
      importError = (error as Error).message;
    }
    expect(importError).toMatch(/^not a Synthetic-Persona-Chat CSV/);
    await page.getByLabel('Source', { exact: true }).selectOption('spc');
    await page.getByLabel('Source files').setInputFiles(upload(fr));
    await page.getByLabel('Add to the loaded benchmark').uncheck();
    await page.getByRole('button', { name: 'Convert', exact: true }).click();
    await waitForBenchmark(page, 'refused', fr.name);
    expect(await page.getByTestId('benchmark-error').allTextContents()).toEqual([
      formatIssue({ path: '(import)', message: importError }),
    ]);
    expect(await page.getByTestId('benchmark-loaded').getAttribute('data-source')).toBe(source);
    expect((await shownCategories(page)).sort(byTag)).toEqual([...expectedCategories].sort(byTag));

    expect(app.foreignRequests).toEqual([]);
    expect(app.pageErrors).toEqual([]);
  });
});
