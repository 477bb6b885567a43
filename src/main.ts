import { mount } from 'svelte';
import type { BundledManifest } from './core/index.js';
import App from './components/App.svelte';
import { ExploreState } from './lib/state/explore-state.svelte.js';
import { BenchmarkClient } from './lib/clients/benchmark-client.js';
import { BenchmarkState } from './lib/state/benchmark-state.svelte.js';
import { EvaluationClient } from './lib/clients/evaluation-client.js';
import { IdbRunStore } from './storage/run-store.js';
import { RunState } from './lib/state/run-state.svelte.js';
import { DrillState } from './lib/state/drill-state.svelte.js';
import { StorageState } from './lib/state/storage-state.svelte.js';
import { StorageHealth } from './lib/state/storage-health.svelte.js';
import { ModelClient } from './lib/clients/model-client.js';
import { IdbScoreCache } from './storage/score-cache.js';
import { registerServiceWorker } from './lib/state/offline.svelte.js';
import { ModelCatalog } from './lib/state/model-catalog.svelte.js';
import { AnalysisClient } from './lib/clients/analysis-client.js';
import { ComparisonState } from './lib/state/comparison-state.svelte.js';
import { ModelFolderStore } from './storage/model-folder-store.js';
import './app.css';

async function fetchJson<T>(path: string): Promise<T> {
  const response = await fetch(`${import.meta.env.BASE_URL}${path}`);
  if (!response.ok) throw new Error(`${path} could not be loaded (HTTP ${response.status})`);
  return (await response.json()) as T;
}

async function fetchBlob(path: string): Promise<Blob> {
  const response = await fetch(`${import.meta.env.BASE_URL}${path}`);
  if (!response.ok) throw new Error(`${path} could not be downloaded (HTTP ${response.status})`);
  return response.blob();
}

const client = new ModelClient(
  () => new Worker(new URL('../workers/model.worker.ts', import.meta.url), { type: 'module', name: 'rolescope-model' }),
);
const catalog = new ModelCatalog(new ModelFolderStore(import.meta.env.BASE_URL));
// A browser that stores nothing (private window, site data blocked) or is full still runs
// everything, from memory; the page says so (StorageHealth).
const health = new StorageHealth();
const state = new ExploreState(
  client,
  await IdbScoreCache.open(
    undefined,
    (p) => health.report(p),
    () => health.saved(),
  ),
  fetchJson,
  catalog,
);
const benchmarkClient = new BenchmarkClient(
  () =>
    new Worker(new URL('../workers/benchmark.worker.ts', import.meta.url), {
      type: 'module',
      name: 'rolescope-benchmark',
    }),
);
const benchmark = new BenchmarkState(benchmarkClient, fetchBlob);
const evaluation = new EvaluationClient(
  () =>
    new Worker(new URL('../workers/evaluation.worker.ts', import.meta.url), {
      type: 'module',
      name: 'rolescope-evaluation',
    }),
);
const run = new RunState(evaluation, await IdbRunStore.open());
run.dtypeOf = (name) => catalog.dtypeOf(name);
run.onStorageProblem = (p) => health.report(p);
run.onStorageSaved = () => health.saved();
// The drill-down scores tokens with the run's estimator in a model worker of its own.
const drill = new DrillState(
  new ModelClient(
    () =>
      new Worker(new URL('../workers/model.worker.ts', import.meta.url), { type: 'module', name: 'rolescope-drill' }),
  ),
);
mount(App, {
  target: document.getElementById('app')!,
  props: {
    state,
    benchmark,
    run,
    drill,
    storage: new StorageState(),
    health,
    comparison: new ComparisonState(
      new AnalysisClient(
        () =>
          new Worker(new URL('../workers/analysis.worker.ts', import.meta.url), {
            type: 'module',
            name: 'rolescope-analysis',
          }),
      ),
    ),
  },
});
// Offline use (the header's badge shows progress): only the built app has a service worker. It is
// registered once the first screen has its model, so that precaching about 84 MiB does not
// compete with the first model download for the network.
void state.start().finally(() => {
  if (import.meta.env.PROD) void registerServiceWorker(`${import.meta.env.BASE_URL}sw.js`);
});
// The run panel's default policies and estimator: the bundled role-play models, the last one scoring.
void fetchJson<BundledManifest>('models/manifest.json').then((m) => run.init(m.models));
