/** `npm run bench`'s command line: model names, precisions, categories and pairs (scripts/lib/bench-args.ts). */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBenchArgs, selectCategories, workloadName } from '../../../scripts/lib/bench-args.js';

describe('parseBenchArgs', () => {
  it('defaults to both bundled models in the precision they ship, 1000 pairs, everything measured', () => {
    const o = parseBenchArgs([], '/work');
    expect(o.models).toEqual([
      { ref: { source: 'bundled', id: 'rolescope-tiny-en' }, name: 'rolescope-tiny-en' },
      { ref: { source: 'bundled', id: 'rolescope-tiny-multi' }, name: 'rolescope-tiny-multi' },
    ]);
    expect(o).toMatchObject({ pairs: 1000, browserCategories: 2, browser: true, ui: true, modelFolders: '/work' });
    expect(o.categories).toBeUndefined();
    expect(o.json).toBeUndefined();
  });

  it('takes bundled, folder and Hub names, repeated or comma-separated, and --models as the same', () => {
    const o = parseBenchArgs(
      ['--model', 'folder:qwen3,hub:onnx-community/Qwen3-0.6B-ONNX', '--model', 'rolescope-tiny-en'],
      '/work',
    );
    expect(o.models.map((m) => m.ref)).toEqual([
      { source: 'folder', id: 'qwen3' },
      { source: 'hub', id: 'onnx-community/Qwen3-0.6B-ONNX' },
      { source: 'bundled', id: 'rolescope-tiny-en' },
    ]);
    expect(o.models.map((m) => m.name)).toEqual([
      'folder:qwen3',
      'hub:onnx-community/Qwen3-0.6B-ONNX',
      'rolescope-tiny-en',
    ]);
    expect(parseBenchArgs(['--models', 'rolescope-tiny-multi,folder:gemma3']).models.map((m) => m.name)).toEqual([
      'rolescope-tiny-multi',
      'folder:gemma3',
    ]);
  });

  it('runs each model in each --dtype, once per pair', () => {
    const o = parseBenchArgs(['--model', 'folder:a,folder:b', '--dtype', 'fp32,q4', '--dtype', 'fp32']);
    expect(o.models.map((m) => `${m.name} ${m.dtype}`)).toEqual([
      'folder:a fp32',
      'folder:a q4',
      'folder:b fp32',
      'folder:b q4',
    ]);
  });

  it('resolves --model-folders against the working directory, like npm run evaluate', () => {
    expect(parseBenchArgs(['--model-folders', 'fixtures'], '/work').modelFolders).toBe(path.resolve('/work/fixtures'));
    expect(parseBenchArgs(['--model-folders', '/tmp/x'], '/work').modelFolders).toBe(path.resolve('/tmp/x'));
  });

  it('reads the other flags as before', () => {
    const o = parseBenchArgs([
      '--categories',
      'IDTest',
      '--pairs',
      '200',
      '--browser-categories',
      '1',
      '--no-browser',
      '--no-ui',
      '--json',
      'b.json',
    ]);
    expect(o).toMatchObject({
      categories: 'IDTest',
      pairs: 200,
      browserCategories: 1,
      browser: false,
      ui: false,
      json: 'b.json',
    });
  });

  it.each([
    [['--dtype', 'int4'], '--dtype must be one of fp32, fp16, q8, q4, q4f16, got "int4"'],
    [['--pairs', '2e3'], '--pairs expects a whole number, got "2e3"'],
    [['--pairs=-1'], '--pairs expects a whole number, got "-1"'],
    [['--browser-categories', 'two'], '--browser-categories expects a whole number'],
    [['--model', 'a,,b'], 'an empty model name'],
    [['--model', 'hub:no-slash'], '--model hub:no-slash: "no-slash" is not a Hub model id'],
    [['--model', 'folder:../up'], '--model folder:../up: "../up" is not a stored model folder\'s name'],
    [['--model', 'Has Space'], 'is not a bundled model name'],
    [['--categories', '0'], '--categories expects a number of categories (at least 1) or tags'],
    [['--frobnicate'], "Unknown option '--frobnicate'"],
  ])('refuses %j before any model loads', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});

describe('selectCategories', () => {
  const all = ['IDTest', 'Literature', 'Movie', 'Game'];
  it('takes all, the first N, or tags in the order given', () => {
    expect(selectCategories(undefined, all)).toEqual(all);
    expect(selectCategories('2', all)).toEqual(['IDTest', 'Literature']);
    expect(selectCategories('Game, IDTest', all)).toEqual(['Game', 'IDTest']);
  });
  it('names the categories there are when a tag is not one', () => {
    expect(() => selectCategories('IDTest,Poetry', all)).toThrow(
      '--categories: no category "Poetry" (there are IDTest, Literature, Movie, Game)',
    );
  });
});

it('names a workload after the model, its precision and the categories', () => {
  const model = { ref: { source: 'folder' as const, id: 'qwen3' }, name: 'folder:qwen3' };
  expect(workloadName(model, 'fp32', 1)).toBe('folder:qwen3 fp32 scoring 1 demo category');
  expect(workloadName(model, 'q4', 6)).toBe('folder:qwen3 q4 scoring 6 demo categories');
});
