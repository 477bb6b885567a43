/**
 * The evaluation worker's entry: the whole R-EMID pipeline (models, scoring, statistics) runs here,
 * off the page's thread, with its scores and generations stored in IndexedDB as they come. Each
 * run gets a store that falls back on this worker's memory when IndexedDB cannot be opened or is
 * full, and reports that in its progress.
 */
import * as Comlink from 'comlink';
import { version } from '../package.json';
import { memoryStore } from '../src/core/index.js';
import { RolescopeConnection } from '../src/storage/db.js';
import { FallbackEvaluationStore, IdbEvaluationStore } from '../src/storage/evaluation-store.js';
import { createBrowserModelService } from './model/browser-host.js';
import { createEvaluationService } from './evaluation/service.js';

const idb = new IdbEvaluationStore(new RolescopeConnection());
const memory = memoryStore();

Comlink.expose(
  createEvaluationService({
    models: createBrowserModelService(),
    openStore: async () => new FallbackEvaluationStore(idb, memory),
    appVersion: version,
  }),
);
