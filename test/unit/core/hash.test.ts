import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, hashValue, scoreKey, sha256Hex, type ModelFingerprint } from '../../../src/core/index.js';

describe('hashes', () => {
  it('sha256Hex equals an independent SHA-256', async () => {
    for (const text of ['', 'abc', 'héllo 世界 🙂']) {
      expect(await sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
    }
    // The FIPS 180-2 test vector for "abc".
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('canonical JSON ignores key order but not array order', async () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] })).toBe('{"a":[2,{"c":4,"d":3}],"b":1}');
    expect(await hashValue({ x: 1, y: 2 })).toBe(await hashValue({ y: 2, x: 1 }));
    expect(await hashValue([1, 2])).not.toBe(await hashValue([2, 1]));
    expect(() => canonicalJson({ x: NaN })).toThrow(TypeError);
  });

  it('score keys change with every input that determines a score', async () => {
    const model: ModelFingerprint = { modelId: 'bundled:m', filesHash: 'f', dtype: 'fp32', deviceClass: 'cpu' };
    const base = {
      model,
      templateVersion: 'rp-v1',
      context: [{ role: 'user' as const, content: 'hi' }],
      response: 'yo',
    };
    const key = await scoreKey(base);
    const variants = [
      { ...base, model: { ...model, filesHash: 'g' } },
      { ...base, model: { ...model, dtype: 'q8' } },
      { ...base, model: { ...model, deviceClass: 'gpu' as const } },
      { ...base, templateVersion: 'rp-v2' },
      { ...base, context: [{ role: 'user' as const, content: 'hi!' }] },
      { ...base, response: 'yo!' },
      { ...base, responsePrefix: '## Agent Response\n' },
    ];
    for (const v of variants) expect(await scoreKey(v)).not.toBe(key);
    expect(await scoreKey({ ...base })).toBe(key);
    expect(await scoreKey({ ...base, responsePrefix: '' })).toBe(key);
  });
});
