import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BundledManifest } from '../../src/core/index.js';
import { BUNDLED_MODELS_DIR } from '../../node/model-host.js';
import { describeBundledModels } from '../../scripts/lib/bundled-models.js';

describe('public/models/manifest.json', () => {
  it('matches the bundled files (rebuild with npx tsx scripts/build-model-manifest.ts)', async () => {
    const onDisk = JSON.parse(readFileSync(path.join(BUNDLED_MODELS_DIR, 'manifest.json'), 'utf8'));
    expect(onDisk).toEqual(await describeBundledModels(BUNDLED_MODELS_DIR));
  });

  it('lists at least two demo models, each at most ~15 MB', () => {
    const manifest = JSON.parse(readFileSync(path.join(BUNDLED_MODELS_DIR, 'manifest.json'), 'utf8'));
    expect(manifest.models.length).toBeGreaterThanOrEqual(2);
    for (const model of manifest.models) {
      const bytes = Object.values(model.files as Record<string, { bytes: number }>).reduce((a, f) => a + f.bytes, 0);
      expect(bytes).toBeLessThanOrEqual(16 * 1024 * 1024);
    }
  });

  it('puts the English model first and the role-play models before the CoRL pair', () => {
    const manifest = JSON.parse(
      readFileSync(path.join(BUNDLED_MODELS_DIR, 'manifest.json'), 'utf8'),
    ) as BundledManifest;
    expect(manifest.models[0]?.id).toBe('rolescope-tiny-en');
    const roles = manifest.models.map((m) => m.role);
    expect(roles).toEqual([...roles].sort((a, b) => Number(a !== 'role-play') - Number(b !== 'role-play')));
    const roleOf = (id: string) => manifest.models.find((m) => m.id === id)?.role;
    expect(roleOf('rolescope-tiny-multi')).toBe('role-play');
    // Where the CoRL pair is bundled, each is what it is for.
    for (const [id, role] of [
      ['rolescope-corl-estimator', 'corl-estimator'],
      ['rolescope-corl-thought', 'corl-thought'],
    ] as const) {
      if (roleOf(id) !== undefined) expect(roleOf(id)).toBe(role);
    }
  });
});
