import { mount } from 'svelte';
import App from './components/App.svelte';
import { AppState } from './lib/app-state.svelte.js';
import { BenchmarkClient } from './lib/benchmark-client.js';
import { BenchmarkState } from './lib/benchmark-state.svelte.js';
import { ModelClient } from './lib/model-client.js';
import { IdbScoreCache } from './lib/score-cache.js';
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
const state = new AppState(client, await IdbScoreCache.open(), fetchJson);
const benchmarkClient = new BenchmarkClient(
  () =>
    new Worker(new URL('../workers/benchmark.worker.ts', import.meta.url), {
      type: 'module',
      name: 'rolescope-benchmark',
    }),
);
const benchmark = new BenchmarkState(benchmarkClient, fetchBlob);
mount(App, { target: document.getElementById('app')!, props: { state, benchmark } });
void state.start();
