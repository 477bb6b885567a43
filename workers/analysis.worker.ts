/** The analysis worker's entry: the comparison's paired bootstrap, off the page's thread. */
import * as Comlink from 'comlink';
import { comparePolicies } from '../src/core/index.js';
import type { AnalysisService } from '../src/protocol/analysis-service.js';

const service: AnalysisService = {
  compare: async (results, a, b) => comparePolicies(results, a, b),
};

Comlink.expose(service);
