/**
 * How the page keeps up while a run works: the app, built into a temporary folder and served by
 * Vite's preview server, runs its one-click demo in headless Chromium (Debian's) while the page
 * records every animation frame and every long task (over 50 ms) on its main thread. The run's
 * models, scoring and statistics are in workers; what the page itself does is draw progress and
 * results. Nothing leaves 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';

export interface UiRun {
  readonly seconds: number;
  readonly frames: number;
  readonly framesPerSecond: number;
  /** Gaps between consecutive frames: 16.7 ms is 60 fps. */
  readonly medianFrameMs: number;
  readonly p95FrameMs: number;
  readonly longestFrameMs: number;
  /** Share of frames later than 50 ms (a user sees a stutter). */
  readonly slowFrameShare: number;
  readonly longTasks: number;
  readonly longestTaskMs: number;
  /**
   * Where the longest gap between frames fell: seconds into the run, the stage the run panel
   * showed, and how much of it a long task on the page's main thread covered (0: the main thread
   * was free, so the frame waited for something else, such as the CPU the workers were using).
   */
  readonly longestGap: { readonly atSeconds: number; readonly stage: string; readonly longTaskMs: number };
}

/** What the page gathers (installed before the app's own scripts). */
interface Probe {
  frames: number[];
  tasks: [start: number, duration: number][];
  /** When the run panel's last stage line changed, and to what. */
  stages: [time: number, label: string][];
}

/** Records frame times and long tasks from the page's first script on (window.uiProbe). */
const PROBE = `
  const probe = { frames: [], tasks: [], stages: [] };
  window.uiProbe = probe;
  const tick = (t) => {
    probe.frames.push(t);
    const stage = document.querySelector('[data-testid="run-progress"] li:last-child .label')?.textContent ?? '';
    if (stage !== probe.stages.at(-1)?.[1]) probe.stages.push([t, stage]);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) probe.tasks.push([entry.startTime, entry.duration]);
  }).observe({ type: 'longtask', buffered: true });
`;

const quantile = (sorted: readonly number[], q: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** Builds the app, then times the one-click demo from a fresh profile. */
export async function measureUi(): Promise<UiRun> {
  const outDir = mkdtempSync(path.join(tmpdir(), 'rolescope-ui-bench-'));
  await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const server = await preview({ build: { outDir }, preview: { port: 0, host: '127.0.0.1' }, logLevel: 'warn' });
  const url = server.resolvedUrls?.local[0];
  const browser = await chromium.launch({
    executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    await page.route('**/*', (route) =>
      new URL(route.request().url()).origin === new URL(url!).origin ? route.continue() : route.abort(),
    );
    // As text: functions passed from here would carry the TypeScript loader's helpers along.
    await page.addInitScript({ content: PROBE });
    await page.goto(url!);
    await page.getByTestId('tab-run').click();
    const started = await page.evaluate(() => {
      const probe = (window as unknown as { uiProbe: Probe }).uiProbe;
      probe.frames.length = 0;
      probe.tasks.length = 0;
      probe.stages.length = 0;
      return performance.now();
    });
    await page.getByTestId('run-demo').click();
    await page.waitForFunction(
      () =>
        ['done', 'failed'].includes(
          document.querySelector('[data-testid="run-status"]')?.getAttribute('data-phase') ?? '',
        ),
      undefined,
      { timeout: 900_000, polling: 1000 },
    );
    const phase = await page.getByTestId('run-status').getAttribute('data-phase');
    if (phase !== 'done') throw new Error(`the demo run failed: ${await page.getByTestId('run-error').textContent()}`);
    const { frames, tasks, stages, ended } = await page.evaluate(() => {
      const probe = (window as unknown as { uiProbe: Probe }).uiProbe;
      return {
        frames: [...probe.frames],
        tasks: [...probe.tasks],
        stages: [...probe.stages],
        ended: performance.now(),
      };
    });
    const gaps = frames.slice(1).map((t, i) => t - frames[i]!);
    const sorted = [...gaps].sort((a, b) => a - b);
    const seconds = (ended - started) / 1000;
    const worst = gaps.indexOf(sorted.at(-1) ?? 0);
    const [from, to] = [frames[worst] ?? 0, frames[worst + 1] ?? 0];
    return {
      seconds,
      frames: frames.length,
      framesPerSecond: frames.length / seconds,
      medianFrameMs: quantile(sorted, 0.5),
      p95FrameMs: quantile(sorted, 0.95),
      longestFrameMs: sorted.at(-1) ?? 0,
      slowFrameShare: gaps.filter((g) => g > 50).length / Math.max(1, gaps.length),
      longTasks: tasks.length,
      longestTaskMs: Math.max(0, ...tasks.map(([, duration]) => duration)),
      longestGap: {
        atSeconds: (from - started) / 1000,
        stage: stages.filter(([t]) => t <= from).at(-1)?.[1] ?? '',
        longTaskMs: tasks.reduce(
          (covered, [start, duration]) => covered + Math.max(0, Math.min(to, start + duration) - Math.max(from, start)),
          0,
        ),
      },
    };
  } finally {
    await browser.close();
    await server.close();
    rmSync(outDir, { recursive: true, force: true });
  }
}
