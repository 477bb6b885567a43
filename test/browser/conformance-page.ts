/**
 * The conformance page: each run gets a worker of its own, ended when it is done, so that one
 * fixture's wasm heap (which never shrinks) cannot leave the next without room.
 */
import * as Comlink from 'comlink';
import type { ConformanceApi } from './conformance-types.js';

async function inWorker<T>(call: (worker: Comlink.Remote<ConformanceApi>) => Promise<T>): Promise<T> {
  const worker = new Worker(new URL('./conformance.worker.ts', import.meta.url), { type: 'module' });
  try {
    return await call(Comlink.wrap<ConformanceApi>(worker));
  } finally {
    worker.terminate();
  }
}

const api: ConformanceApi = {
  run: (...args) => inWorker((worker) => worker.run(...args)),
  bundled: (...args) => inWorker((worker) => worker.bundled(...args)),
};
(window as unknown as { conformance: ConformanceApi }).conformance = api;
document.body.dataset.ready = 'true';
