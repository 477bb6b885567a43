/**
 * The bad-input corpus (test/fixtures/bad/) fed to the built app in Chromium, the way a user feeds
 * it: files chosen in the Benchmark tab, responses and results files in the Run tab, model folders
 * and a typed Hub id in the Models tab. Each bad input shows its own message (the same lines the
 * core gives in Node, where the browser's JSON messages do not differ), and leaves the loaded
 * benchmark, the saved runs and the stored models as they were. A benchmark with HTML and script
 * in every text field is shown as text: nothing runs, no element is created from it.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/core/index.js';
import { createBenchmarkService } from '../../workers/benchmark/service.js';
import { BUNDLED_MODELS_DIR } from '../../node/model-host.js';
import { openApp, useBuiltApp, waitUntilReady } from '../helpers/browser.js';
import { CORPUS_DIR, IMG, SCRIPT } from '../unit/bad-input/corpus.js';

const appUrl = useBuiltApp();
const work = mkdtempSync(path.join(tmpdir(), 'rolescope-bad-input-e2e-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const corpusFile = (file: string) => ({
  name: path.basename(file),
  mimeType: 'application/json',
  buffer: readFileSync(path.join(CORPUS_DIR, file)),
});

/** Waits until the benchmark panel reports `status` for the file `source`. */
async function waitForBenchmark(page: Page, status: string, source: string): Promise<void> {
  await page.waitForFunction(
    ([status, source]) => {
      const el = document.querySelector('[data-testid="benchmark-status"]');
      return el?.getAttribute('data-status') === status && el.getAttribute('data-source') === source;
    },
    [status, source] as const,
    { timeout: 60_000 },
  );
}

/** What the page shows of the loaded benchmark: its file, category rows and sample count. */
const loadedBenchmark = (page: Page) =>
  page.evaluate(() => ({
    source: document.querySelector('[data-testid="benchmark-loaded"]')?.getAttribute('data-source'),
    tags: Array.from(document.querySelectorAll('[data-testid="category-row"]')).map((r) => r.getAttribute('data-tag')),
    samples: document.querySelector('[data-testid="sample-count"]')?.getAttribute('data-count'),
  }));

/** No injected script ran and no element came from a file's text. */
async function expectNothingInjected(page: Page): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
  expect(await page.locator('img[src="x"]').count()).toBe(0);
  expect(
    await page.evaluate(() =>
      Array.from(document.querySelectorAll('script')).some((s) => s.textContent?.includes('__pwned')),
    ),
  ).toBe(false);
}

describe('bad input in the app', () => {
  it('refuses bad benchmark, responses and results files with their own messages, changing nothing', async () => {
    const app = await openApp(appUrl());
    const { page } = app;
    try {
      await page.goto(appUrl());
      await page.getByTestId('tab-benchmark').click();
      await page.getByTestId('benchmark-file').setInputFiles(corpusFile('benchmark/constructor-keys.json'));
      await waitForBenchmark(page, 'ready', 'constructor-keys.json');
      const before = await loadedBenchmark(page);
      expect(before).toEqual({ source: 'constructor-keys.json', tags: ['IDTest', 'prototype'], samples: '4' });

      // The same service in Node gives the lines the page must show.
      const service = createBenchmarkService();
      for (const file of [
        'wrong-types.json',
        'proto-in-sample.json',
        'proto-split.json',
        'proto-categories.json',
        'invalid-utf8-latin1.json',
        'utf16.json',
        'bidi-in-id.json',
        'control-characters.json',
        'empty.json',
      ]) {
        const input = corpusFile(`benchmark/${file}`);
        const expected = await service.validateFile(new Blob([input.buffer]));
        if (expected.ok) throw new Error(`${file} validated in Node`);
        await page.getByTestId('benchmark-file').setInputFiles(input);
        await waitForBenchmark(page, 'refused', file);
        expect(await page.getByTestId('benchmark-error').allTextContents(), file).toEqual(
          expected.errors.map(formatIssue),
        );
        expect(await loadedBenchmark(page), file).toEqual(before);
      }
      // Chromium words JSON.parse's errors its own way: only the start is the core's.
      await page.getByTestId('benchmark-file').setInputFiles(corpusFile('benchmark/not-json.json'));
      await waitForBenchmark(page, 'refused', 'not-json.json');
      expect(await page.getByTestId('benchmark-error').allTextContents()).toEqual([
        expect.stringMatching(/^\(file\): not valid JSON/),
      ]);
      expect(await loadedBenchmark(page)).toEqual(before);

      // Run tab: a results file becomes a saved run; bad ones are refused and store nothing.
      await page.getByTestId('tab-run').click();
      const runItems = page.getByTestId('run-item');
      const runsBefore = await runItems.count();
      await page.getByTestId('run-import-results').setInputFiles(corpusFile('results/good.json'));
      await expect.poll(() => runItems.count()).toBe(runsBefore + 1);
      const results: [string, RegExp][] = [
        ['invalid-utf8.json', /the file is not UTF-8 text: byte 0xE1 at line \d+ \(offset [\d,]+\)/],
        ['proto-keys.json', /manifest\.settings\.__proto__: the field name "__proto__" is not allowed/],
        ['edited-mi.json', /rows\[0\]\.miModel: 1\.5 does not follow from the file's pairs \(they give 1\)/],
        ['benchmark-instead.json', /manifest: missing \(expected the run's manifest object\)/],
      ];
      for (const [file, message] of results) {
        await page.getByTestId('run-import-results').setInputFiles(corpusFile(`results/${file}`));
        await expect.poll(() => page.getByTestId('run-error').textContent(), { message: file }).toMatch(message);
        expect(await page.getByTestId('run-error').textContent()).toMatch(
          new RegExp(`^${file.replace('.', '\\.')} is not a results file Rolescope can show`),
        );
        expect(await runItems.count(), file).toBe(runsBefore + 1);
      }

      // A settings field emptied: said when Run is pressed, before any worker starts.
      await page.locator('#run-pairs').fill('');
      await page.getByTestId('run-start').click();
      await expect
        .poll(() => page.getByTestId('run-error').textContent())
        .toBe('these settings cannot run:\nmaxPairs: missing (expected mismatched pairs per category: a whole number)');
      await page.locator('#run-pairs').fill('12');
      expect(await runItems.count()).toBe(runsBefore + 1);

      // Responses: not UTF-8 is refused when chosen; a file of the wrong types when the run starts.
      await page.locator('#run-import-file').setInputFiles(corpusFile('responses/invalid-utf8.json'));
      await expect
        .poll(() => page.getByTestId('run-error').textContent())
        .toMatch(/^invalid-utf8\.json was refused: the file is not UTF-8 text: byte 0xE9 at line 1 \(offset 29\)/);
      expect(await page.getByTestId('run-imported').count()).toBe(0);
      await page.locator('#run-import-file').setInputFiles(corpusFile('responses/wrong-types.json'));
      await expect.poll(() => page.getByTestId('run-imported').count()).toBe(1);
      await page.getByTestId('run-start').click();
      await expect
        .poll(() => page.getByTestId('run-error').textContent())
        .toMatch(/^wrong-types\.json \(wrong-types\) was refused:\n\["a"\]: expected a string, got a number/);
      expect(await runItems.count()).toBe(runsBefore + 1);

      await page.getByTestId('tab-benchmark').click();
      expect(await loadedBenchmark(page)).toEqual(before);
      await expectNothingInjected(page);
      expect(app.foreignRequests).toEqual([]);
      expect(app.pageErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('shows HTML and script in every text field as text', async () => {
    const app = await openApp(appUrl());
    const { page } = app;
    try {
      await page.goto(appUrl());
      await page.getByTestId('tab-benchmark').click();
      await page.getByTestId('benchmark-file').setInputFiles(corpusFile('benchmark/html-injection.json'));
      await waitForBenchmark(page, 'ready', 'html-injection.json');
      expect((await loadedBenchmark(page)).tags).toEqual(['IDTest', SCRIPT]);
      expect(await page.getByTestId('category-table').textContent()).toContain(IMG);

      await page.locator(`[data-testid="sample-row"][data-id=${JSON.stringify(IMG)}]`).click();
      const detail = page.getByTestId('benchmark-sample');
      await expect.poll(() => detail.getAttribute('data-id')).toBe(IMG);
      expect(await detail.locator('.title').textContent()).toBe(IMG);
      expect(await detail.getByTestId('detail-persona').textContent()).toBe(`${SCRIPT} I live in Lisbon.`);
      expect(await detail.getByTestId('detail-character').textContent()).toBe(`${IMG} A retired sailor.`);
      expect(await detail.getByTestId('detail-golden').textContent()).toBe(SCRIPT + IMG);
      expect(await detail.getByTestId('detail-reasoning').textContent()).toBe(IMG);
      expect(await detail.locator('.dialogue .pre').allTextContents()).toEqual([IMG, SCRIPT, `<b>bold?</b> ${IMG}`]);
      expect(await detail.locator('b').count()).toBe(0);
      expect(await detail.textContent()).toContain(SCRIPT); // the extra field "comment"

      await page.locator('[data-testid="sample-row"][data-id="profile"]').click();
      await expect.poll(() => detail.getAttribute('data-id')).toBe('profile');
      expect(await detail.getByTestId('detail-character').textContent()).toContain(IMG);

      // Bidirectional controls in text are kept, character for character.
      await page.getByTestId('benchmark-file').setInputFiles(corpusFile('benchmark/bidi-in-text.json'));
      await waitForBenchmark(page, 'ready', 'bidi-in-text.json');
      await page.locator('[data-testid="sample-row"]').first().click();
      expect(await detail.getByTestId('detail-persona').textContent()).toBe(
        '\u202Bאני גר בליסבון\u202C (I live in Lisbon).',
      );

      // Imported results with HTML in policy names, categories and responses.
      await page.getByTestId('tab-run').click();
      await page.getByTestId('run-import-results').setInputFiles(corpusFile('results/html-injection.json'));
      await expect.poll(() => page.getByTestId('run-item').count()).toBeGreaterThan(0);
      await page.waitForFunction(() => document.body.textContent?.includes('<script>window.__pwned=1</script>'));

      await expectNothingInjected(page);
      expect(app.foreignRequests).toEqual([]);
      expect(app.pageErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('refuses a model folder without its tokenizer or with a corrupt graph, and a Hub id with a path', async () => {
    const app = await openApp(appUrl());
    const { page } = app;
    const folder = (name: string, change: (dir: string) => void) => {
      const dir = path.join(work, name);
      cpSync(path.join(BUNDLED_MODELS_DIR, 'rolescope-tiny-en'), dir, { recursive: true });
      change(dir);
      return dir;
    };
    const models = () => page.getByTestId('models-row').evaluateAll((rows) => rows.map((r) => r.dataset['name']));
    try {
      await page.goto(appUrl());
      await waitUntilReady(page);
      await page.getByTestId('tab-models').click();
      const before = await models();

      await page
        .getByTestId('models-folder')
        .setInputFiles(folder('no-tokenizer', (dir) => rmSync(path.join(dir, 'tokenizer.json'))));
      await expect
        .poll(() => page.getByTestId('models-folder-error').textContent())
        .toBe(
          'This folder cannot be used: this is not a transformers.js model folder: tokenizer.json is missing ' +
            '(the folder needs config.json, tokenizer.json, tokenizer_config.json and onnx/model*.onnx).',
        );
      expect(await models()).toEqual(before);

      // A graph of random bytes is refused when the folder is picked, naming the file: nothing is
      // stored, and a good folder stored under the same name stays.
      await page.getByTestId('models-folder').setInputFiles(folder('corrupt-graph', () => {}));
      await expect.poll(models).toContain('folder:corrupt-graph');
      const stored = await models();
      const corrupt = readFileSync(path.join(CORPUS_DIR, 'model-folder', 'corrupt-model.onnx'));
      await page
        .getByTestId('models-folder')
        .setInputFiles(
          folder('again/corrupt-graph', (dir) => writeFileSync(path.join(dir, 'onnx', 'model.onnx'), corrupt)),
        );
      await expect
        .poll(() => page.getByTestId('models-folder-error').textContent(), { timeout: 60_000 })
        .toBe(
          'This folder cannot be used: onnx/model.onnx is not a valid ONNX graph (the file is corrupt or cut short; ' +
            'copy or export it again).',
        );
      expect(await models()).toEqual(stored);
      await page
        .locator('[data-testid="models-row"][data-name="folder:corrupt-graph"]')
        .getByRole('button', { name: /Delete/ })
        .click();
      await expect.poll(models).toEqual(before);

      for (const [id, reason] of [
        ['../../etc/passwd', '".." would lead out of the repository'],
        ['owner/\u202Eeman', 'it contains an invisible character (U+202E)'],
      ]) {
        await page.getByTestId('hub-id').fill(id!);
        await page.getByTestId('hub-download').click();
        await expect
          .poll(() => page.getByTestId('models-hub-error').textContent())
          .toContain(`is not a Hub model id: ${reason}`);
      }
      expect(await page.getByTestId('models-hub-error').textContent()).toContain('"owner/\\u202Eeman"');
      expect(await models()).toEqual(before);
      expect(app.foreignRequests).toEqual([]);
      expect(app.pageErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
