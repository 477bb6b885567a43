/** Encoder names: built and parsed in one place, and each is the reverse of the other. */
import { describe, expect, it } from 'vitest';
import { encoderName, encoderRef } from '../../../../src/core/model/encoder-ref.js';

describe('encoder names', () => {
  it('names the two kinds and parses the names back', () => {
    const bundled = { kind: 'input-embeddings', model: 'rolescope-tiny-multi' } as const;
    const hub = { kind: 'hub', id: 'Xenova/all-MiniLM-L6-v2' } as const;
    expect(encoderName(bundled)).toBe('input-embeddings:rolescope-tiny-multi');
    expect(encoderName(hub)).toBe('hub:Xenova/all-MiniLM-L6-v2');
    expect(encoderRef(encoderName(bundled))).toEqual(bundled);
    expect(encoderRef(encoderName(hub))).toEqual(hub);
  });

  it('leaves a Hub encoder’s revision and precision out of its name, and refuses other names', () => {
    expect(encoderName({ kind: 'hub', id: 'a/b', revision: 'v2', dtype: 'q8' } as never)).toBe('hub:a/b');
    expect(encoderRef('rolescope-tiny-multi')).toBeNull();
  });
});
