/**
 * The benchmark worker's entry: exposes the benchmark service over comlink.
 */
import * as Comlink from 'comlink';
import type { BenchmarkService } from '../src/protocol/benchmark-service.js';
import { createBenchmarkService } from './benchmark/service.js';

const service = createBenchmarkService() satisfies BenchmarkService;

Comlink.expose(service);
