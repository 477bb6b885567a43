/**
 * Runs the scoring engine in headless Chromium (Debian's, never a downloaded one) on the
 * benchmark's groups: Vite's dev server serves scripts/bench/browser.html, whose worker runs the
 * app's own browser model service. Nothing leaves 127.0.0.1.
 */
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import type { DeviceName, ScoreGroup } from '../../src/protocol/model-service.js';

export interface BrowserRun {
  readonly device: DeviceName;
  /** The device note: the WebGPU adapter's name, or why it is not used. */
  readonly adapter: string;
  readonly threads: number;
  readonly seconds: number;
  readonly means: number[][];
}

/** What scripts/bench/bench.worker.ts answers (its module runs in the browser, so only the shape is named here). */
interface WorkerRun {
  readonly device: DeviceName;
  readonly note: string;
  readonly threads: number;
  readonly seconds: number;
  readonly means: number[][];
}
type Remote = {
  bench: { run(modelId: string, groups: readonly ScoreGroup[], device: DeviceName): Promise<WorkerRun> };
};

/**
 * The wasm device on `groups`; then WebGPU on `webgpuGroups` when Chromium finds an adapter
 * (SwiftShader's CPU adapter on a machine without a GPU: a correctness figure, not a speed one).
 */
export async function runInBrowser(
  modelId: string,
  groups: readonly ScoreGroup[],
  webgpuGroups: readonly ScoreGroup[],
): Promise<BrowserRun[]> {
  const server = await createServer({ server: { port: 0, host: '127.0.0.1' }, logLevel: 'warn' });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  const browser = await chromium.launch({
    executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--enable-unsafe-webgpu', '--enable-features=Vulkan'],
  });
  try {
    const page = await browser.newPage();
    // Only the page's own origin: the benchmark must not depend on anything else.
    await page.route('**/*', (route) =>
      new URL(route.request().url()).origin === new URL(url!).origin ? route.continue() : route.abort(),
    );
    await page.goto(new URL(`scripts/bench/browser.html${process.env.BENCH_PAGE_QUERY ?? ''}`, url).href);
    await page.waitForSelector('body[data-ready="true"]');
    const run = (device: DeviceName, work: readonly ScoreGroup[]) =>
      page.evaluate(([id, g, d]) => (window as unknown as Remote).bench.run(id, g, d), [
        modelId,
        work,
        device,
      ] as const);
    const runs: BrowserRun[] = [];
    const wasm = await run('wasm', groups);
    runs.push({ ...wasm, adapter: wasm.note });
    const hasAdapter = await page.evaluate(async () => {
      const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return Boolean(gpu && (await gpu.requestAdapter()));
    });
    if (hasAdapter && webgpuGroups.length > 0) {
      const webgpu = await run('webgpu', webgpuGroups);
      if (webgpu.device === 'webgpu') runs.push({ ...webgpu, adapter: webgpu.note });
    }
    return runs;
  } finally {
    await browser.close();
    await server.close();
  }
}
