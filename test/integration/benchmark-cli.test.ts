import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateBenchmarkText } from '../../src/core/benchmark/validate.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const run = (script: string, args: string[]) => {
  const r = spawnSync(TSX, [path.join(ROOT, 'scripts', script), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
};
const fixture = (name: string) => path.join(ROOT, 'test/fixtures/benchmarks', name);
const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

describe('npm run validate', () => {
  it('exits 0 with a summary for a valid file', () => {
    const { code, out } = run('validate-benchmark.ts', [fixture('good/splits.json')]);
    expect(code).toBe(0);
    expect(out).toContain('valid (splits)');
    expect(out).toContain('4 samples in 3 categories');
    expect(out).toContain('user            french vs IDTest: 1 sample [fr 1] French-speaking users');
    expect(out).toContain('languages: en, fr, zh');
  });

  it('exits 1 with every error and no stack trace for an invalid or missing file', () => {
    const bad = run('validate-benchmark.ts', [fixture('bad/not-alternating.json')]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('refused, 3 errors');
    expect(bad.out).toContain(
      'IDTest[0].dialogue_context[1]: expected {"agent_response"} after a user_query, got {"user_query"}',
    );
    expect(bad.out).not.toMatch(STACK_LINE);
    const dir = mkdtempSync(path.join(tmpdir(), 'rolescope-validate-'));
    writeFileSync(path.join(dir, 'latin1.json'), Buffer.from([0x5b, 0x22, 0xe9, 0x22, 0x5d])); // ["é"] in ISO-8859-1
    const latin1 = run('validate-benchmark.ts', [path.join(dir, 'latin1.json')]);
    expect(latin1.code).toBe(1);
    expect(latin1.out).toContain('not UTF-8');
    const missing = run('validate-benchmark.ts', [fixture('bad/nothing-here.json')]);
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/cannot read: ENOENT/);
    expect(missing.out).not.toMatch(STACK_LINE);
  });
});

describe('npm run import', () => {
  it('imports a reference, appends a declared user shift, and writes a valid file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rolescope-import-'));
    const dialogue = (i: number) => ({
      persona: [`persona ${i}.`],
      dialogue: Array.from({ length: 4 }, (_, k) => [`q${i}.${k}`, `a${i}.${k}`]),
    });
    writeFileSync(path.join(dir, 'En_persona_test.json'), JSON.stringify([0, 1, 2].map(dialogue)));
    writeFileSync(path.join(dir, 'Fr_persona_split_test_human_annotated.json'), JSON.stringify([3, 4].map(dialogue)));
    const out = path.join(dir, 'bench.json');

    const shiftFirst = run('import-benchmark.ts', [
      '--from',
      'xpersona',
      path.join(dir, 'Fr_persona_split_test_human_annotated.json'),
      '--tag',
      'french',
      '--family',
      'user',
      '--out',
      out,
    ]);
    expect(shiftFirst.code).toBe(1);
    expect(shiftFirst.out).toContain('not written');

    const reference = run('import-benchmark.ts', [
      '--from',
      'xpersona',
      path.join(dir, 'En_persona_test.json'),
      '--out',
      out,
      '--turn',
      '3',
    ]);
    expect(reference.code).toBe(0);
    expect(reference.out).toContain('lacks: user_persona');
    const shift = run('import-benchmark.ts', [
      '--from',
      'xpersona',
      path.join(dir, 'Fr_persona_split_test_human_annotated.json'),
      '--tag',
      'french',
      '--family',
      'user',
      '--label',
      'French users',
      '--out',
      out,
      '--append',
    ]);
    expect(shift.code).toBe(0);
    const result = validateBenchmarkText(readFileSync(out, 'utf8'));
    if (!result.ok) throw new Error('written file is invalid');
    expect(result.benchmark.categories.map((c) => [c.tag, c.sampleCount, c.label])).toEqual([
      ['IDTest', 3, 'In-distribution'],
      ['french', 2, 'French users'],
    ]);
    expect(result.benchmark.samples[0]!.goldenResponse).toBe('a0.2');
    expect(result.benchmark.samples[3]!.language).toBe('fr');
  }, 30_000);

  it('explains bad arguments without a stack trace', () => {
    const r = run('import-benchmark.ts', ['--from', 'nope', 'x.json', '--out', 'y.json']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('--from must be one of xpersona, spc, rolebench');
    expect(r.out).not.toMatch(STACK_LINE);
  });
});
