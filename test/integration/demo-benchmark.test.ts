import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { words } from '../../src/core/benchmark/compose.js';
import { formatIssue, validateBenchmarkText } from '../../src/core/benchmark/validate.js';
import type { PaperSample } from '../../src/core/benchmark/format.js';
import {
  buildDemoBenchmark,
  DEMO_BENCHMARK_FILE,
  DEMO_PROFILES_FILE,
  demoDataDir,
  SAMPLES_PER_CATEGORY,
} from '../../scripts/lib/demo-benchmark.js';

const committed = readFileSync(DEMO_BENCHMARK_FILE, 'utf8');
const raw = JSON.parse(committed) as Record<string, PaperSample[]>;

describe('public/data/demo-benchmark.json', () => {
  const result = validateBenchmarkText(committed);

  it('is valid', () => {
    expect(result.ok ? [] : result.errors.map(formatIssue)).toEqual([]);
  });

  it('has an in-distribution reference, six user shifts, two character shifts and two dialogue shifts', () => {
    if (!result.ok) throw new Error('invalid');
    const byFamily = (family: string) =>
      result.benchmark.categories.filter((c) => c.family === family).map((c) => `${c.tag}<${c.reference}`);
    expect(byFamily('in-distribution')).toEqual(['IDTest<null', 'RealWorld<null']);
    expect(byFamily('user')).toEqual(
      ['chinese', 'japanese', 'korean', 'french', 'italian', 'indonesian'].map((t) => `${t}<IDTest`),
    );
    expect(byFamily('character')).toEqual(['Film & Television<RealWorld', 'Literature<RealWorld']);
    expect(byFamily('dialogue')).toEqual(['TurnLevelComposition<IDTest', 'WordLevelComposition<IDTest']);
    for (const c of result.benchmark.categories) {
      expect(c.sampleCount).toBeGreaterThanOrEqual(40);
      expect(c.note, c.tag).toBeTruthy();
      expect(Object.keys(c.languages)).toHaveLength(1);
    }
    const languages = Object.fromEntries(result.benchmark.categories.map((c) => [c.tag, Object.keys(c.languages)[0]]));
    expect(languages).toMatchObject({
      IDTest: 'en',
      chinese: 'zh',
      japanese: 'ja',
      korean: 'ko',
      french: 'fr',
      italian: 'it',
      indonesian: 'id',
    });
  });

  it('draws only from test files and uses each English dialogue once', () => {
    if (!result.ok) throw new Error('invalid');
    for (const s of result.benchmark.samples) expect(s.id).toMatch(/test/);
    const english = [
      ...raw.IDTest!.map((s) => [String(s.sample_ID).replace(/-t\d+$/, '')]),
      ...raw.TurnLevelComposition!.map((s) => s.composed_from as string[]),
      ...raw.WordLevelComposition!.map((s) => [(s.word_edit as { source: string }).source.replace(/-t\d+$/, '')]),
    ].flat();
    expect(new Set(english).size).toBe(english.length);
  });

  it('IDTest and user shifts are 4-turn dialogues; turn-level compositions are 8-turn', () => {
    for (const tag of ['IDTest', 'chinese', 'japanese', 'korean', 'french', 'italian', 'indonesian']) {
      for (const s of raw[tag]!) expect(s.dialogue_context).toHaveLength(7);
    }
    for (const s of raw.TurnLevelComposition!) expect(s.dialogue_context).toHaveLength(15);
  });

  it('every word-level edit follows the documented rule', () => {
    for (const s of raw.WordLevelComposition!) {
      const edit = s.word_edit as { from: string; to: string; original_query: string };
      const query = (s.dialogue_context.at(-1) as { user_query: string }).user_query;
      const earlier = s.dialogue_context.slice(0, -1).flatMap((t) => words(Object.values(t)[0] as string));
      expect(words(edit.original_query)).toContain(edit.from);
      expect(words(query)).toContain(edit.to);
      expect(words(query)).not.toContain(edit.from);
      expect(words(s.agent_golden_response)).toContain(edit.to);
      expect(words(s.agent_golden_response)).not.toContain(edit.from);
      expect(earlier).not.toContain(edit.from);
      expect(earlier).not.toContain(edit.to);
      expect(words(s.agent_character as string)).not.toContain(edit.from);
      expect(s.dialogue_context.length).toBeLessThanOrEqual(7);
    }
  });

  it('gives every RoleBench character a written profile', () => {
    for (const tag of ['RealWorld', 'Film & Television', 'Literature']) {
      expect(raw[tag]).toHaveLength(SAMPLES_PER_CATEGORY);
      for (const s of raw[tag]!) {
        const character = s.agent_character as Record<string, string>;
        expect(Object.keys(character)).toEqual(['name', 'source', 'profile']);
        expect(character.profile!.length).toBeGreaterThan(100);
        expect(s.dialogue_context).toHaveLength(1);
      }
    }
  });
});

// Rebuilding needs the public role-play data next to the repository (../shared/data or $ROLESCOPE_DATA).
const dataDir = demoDataDir();
describe.skipIf(!existsSync(dataDir))(`rebuilding from ${dataDir}`, () => {
  it('reproduces the committed file and its NOTICE byte for byte', async () => {
    const { benchmark, notice } = await buildDemoBenchmark(dataDir, DEMO_PROFILES_FILE);
    expect(benchmark === committed).toBe(true);
    expect(notice).toBe(readFileSync(path.join(path.dirname(DEMO_BENCHMARK_FILE), 'NOTICE'), 'utf8'));
    expect(notice).toContain('IDTest: 50 samples');
  });
});
