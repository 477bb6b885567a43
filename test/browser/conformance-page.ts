/**
 * The conformance page: each run gets a worker of its own, ended when it is done, so that one
 * fixture's wasm heap (which never shrinks) cannot leave the next without room.
 */
import * as Comlink from 'comlink';
import type { ConformanceRunner } from './conformance-types.js';

const run: ConformanceRunner = async (...args) => {
  const worker = new Worker(new URL('./conformance.worker.ts', import.meta.url), { type: 'module' });
  try {
    return await Comlink.wrap<{ run: ConformanceRunner }>(worker).run(...args);
  } finally {
    worker.terminate();
  }
};

(window as unknown as { conformance: { run: ConformanceRunner } }).conformance = { run };
document.body.dataset.ready = 'true';
