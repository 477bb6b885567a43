import { mount } from 'svelte';
import App from './components/App.svelte';
import { AppState } from './lib/app-state.svelte.js';
import { ModelClient } from './lib/model-client.js';
import { IdbScoreCache } from './lib/score-cache.js';
import './app.css';

async function fetchJson<T>(path: string): Promise<T> {
  const response = await fetch(`${import.meta.env.BASE_URL}${path}`);
  if (!response.ok) throw new Error(`${path} could not be loaded (HTTP ${response.status})`);
  return (await response.json()) as T;
}

const client = new ModelClient(
  () => new Worker(new URL('../workers/model.worker.ts', import.meta.url), { type: 'module', name: 'rolescope-model' }),
);
const state = new AppState(client, await IdbScoreCache.open(), fetchJson);
mount(App, { target: document.getElementById('app')!, props: { state } });
void state.start();
