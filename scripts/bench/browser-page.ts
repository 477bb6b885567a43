/** The benchmark page: hands the engine worker to `npm run bench` (scripts/lib/browser-bench.ts). */
import * as Comlink from 'comlink';
import type { BenchWorker } from './bench.worker.js';

const worker = new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module', name: 'rolescope-bench' });
(window as unknown as { bench: Comlink.Remote<BenchWorker> }).bench = Comlink.wrap<BenchWorker>(worker);
document.body.dataset.ready = 'true';
