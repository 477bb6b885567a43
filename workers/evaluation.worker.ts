/**
 * The evaluation worker's entry: the whole R-EMID pipeline (models, scoring, statistics) runs here,
 * off the page's thread, with its scores and generations stored in IndexedDB as they come.
 */
import * as Comlink from 'comlink';
import { version } from '../package.json';
import { IdbEvaluationStore } from '../src/lib/evaluation-store.js';
import { createBrowserModelService } from './browser.js';
import { createEvaluationService } from './evaluation-service.js';

let store: Promise<IdbEvaluationStore> | null = null;

Comlink.expose(
  createEvaluationService({
    models: createBrowserModelService(),
    openStore: () => (store ??= IdbEvaluationStore.open()),
    appVersion: version,
  }),
);
