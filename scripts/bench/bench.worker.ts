/**
 * The benchmark's browser side: the app's own model service (workers/model/browser-host.ts, onnxruntime-web)
 * scoring the benchmark's groups one context at a time, as the evaluation worker does.
 */
import * as Comlink from 'comlink';
import type { DeviceName, ScoreGroup } from '../../src/protocol/model-service.js';
import { createBrowserModelService } from '../../workers/model/browser-host.js';

const params = new URLSearchParams(self.location.search);
const service = createBrowserModelService(params.get('stats') === 'javascript' ? { tokenStats: 'javascript' } : {});

/** Its answer's shape is restated in scripts/lib/browser-bench.ts, which drives it from Node. */
const api = {
  async run(modelId: string, groups: readonly ScoreGroup[], device: DeviceName) {
    const info = await service.load({ source: 'bundled', id: modelId }, { device });
    const started = performance.now();
    const means: number[][] = [];
    for (const group of groups)
      means.push((await service.score([group], { tokenTexts: false })).groups[0]!.map((s) => s.meanLogProb));
    return {
      device: info.device,
      note: info.deviceNote ?? '',
      seconds: (performance.now() - started) / 1000,
      means,
      threads: self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1,
    };
  },
};
export type BenchWorker = typeof api;

Comlink.expose(api);
