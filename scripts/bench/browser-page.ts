/** The benchmark page: hands the engine worker to `npm run bench` (scripts/lib/browser-bench.ts). */
import * as Comlink from 'comlink';
import type { BenchWorker } from './bench.worker.js';

// The page's query (e.g. ?stats=javascript) is passed on to the worker.
const workerUrl = new URL('./bench.worker.ts', import.meta.url);
workerUrl.search = self.location.search;
const worker = new Worker(workerUrl, { type: 'module', name: 'rolescope-bench' });
(window as unknown as { bench: Comlink.Remote<BenchWorker> }).bench = Comlink.wrap<BenchWorker>(worker);
document.body.dataset.ready = 'true';
