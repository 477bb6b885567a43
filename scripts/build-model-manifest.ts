/**
 * Writes public/models/manifest.json: the bundled demo models and a SHA-256 of each file, which
 * the app lists and the cache keys use. Run after (re)building a model:
 *   npx tsx scripts/build-model-manifest.ts
 * test/unit/model-manifest.test.ts fails when the manifest no longer matches the files.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BUNDLED_MODELS_DIR } from '../node/model-host.js';
import { describeBundledModels } from './lib/bundled-models.js';

const manifest = await describeBundledModels(BUNDLED_MODELS_DIR);
await writeFile(path.join(BUNDLED_MODELS_DIR, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`wrote manifest.json: ${manifest.models.map((m) => m.id).join(', ')}`);
