/**
 * Builds public/data/demo-benchmark.json and public/data/NOTICE from the public TEST files in ../shared/data
 * (override with ROLESCOPE_DATA or a path argument). Deterministic: same data, same bytes;
 * test/integration/demo-benchmark.test.ts rebuilds it and compares.
 *   npm run build:benchmark [-- path/to/shared/data]
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildDemoBenchmark, DEMO_PROFILES_FILE, demoDataDir } from './lib/demo-benchmark.js';

const dataDir = path.resolve(process.argv[2] ?? demoDataDir());
const out = path.resolve('public/data/demo-benchmark.json');
const { benchmark, notice } = await buildDemoBenchmark(dataDir, DEMO_PROFILES_FILE);
await writeFile(out, benchmark);
await writeFile(path.join(path.dirname(out), 'NOTICE'), notice);
console.log(`wrote ${out} (${(benchmark.length / 1024).toFixed(0)} KiB) and its NOTICE`);
