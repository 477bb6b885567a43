/**
 * A Hub model's scores are keyed by the commit its revision points to: the resolver asks the Hub's
 * API (faked here), passes a commit through, and answers null (marked unresolved) when it cannot.
 */
import { describe, expect, it } from 'vitest';
import { createHubCommitResolver, hubFilesHash } from '../../../../workers/model/hub-commit.js';

const SHA = 'a'.repeat(40);

describe('createHubCommitResolver', () => {
  it('asks the revision endpoint and returns the commit it names', async () => {
    const asked: string[] = [];
    const resolve = createHubCommitResolver(async (url) => {
      asked.push(url);
      return { id: 'org/model', sha: SHA };
    });
    expect(await resolve('org/model', 'main')).toBe(SHA);
    expect(asked).toEqual(['https://huggingface.co/api/models/org/model/revision/main']);
  });

  it('passes a commit through without asking, and gives null offline or on a strange answer', async () => {
    let calls = 0;
    const offline = createHubCommitResolver(async () => {
      calls++;
      throw new TypeError('Failed to fetch');
    });
    expect(await offline('org/model', SHA)).toBe(SHA);
    expect(calls).toBe(0);
    expect(await offline('org/model', 'main')).toBeNull();
    expect(await createHubCommitResolver(async () => ({ sha: 'not-a-sha' }))('org/model', 'v1.0')).toBeNull();
  });

  it('keys unresolved revisions apart from every commit', () => {
    expect(hubFilesHash('main', SHA)).toBe(`hub-commit:${SHA}`);
    expect(hubFilesHash('main', null)).toBe('hub-revision:main:unresolved');
  });
});
