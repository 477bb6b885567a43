import { describe, expect, it } from 'vitest';
import { replyOf } from '../../../../src/core/prompts/thought-block.js';

describe('replyOf', () => {
  it('keeps a plain reply, trimmed', () => {
    expect(replyOf('  i like fish . \n')).toBe('i like fish .');
  });

  it('drops the thought before the reply', () => {
    expect(replyOf('<think>\nthe user fishes\n</think>\ni like fish .')).toBe('i like fish .');
    expect(replyOf('<think>a</think>b</think> c')).toBe('c');
  });

  it('leaves no reply when the thought never closed', () => {
    expect(replyOf('<think>\nthe user fishes and')).toBe('');
    expect(replyOf('\n <think>')).toBe('');
  });

  it('does not take a tag inside a reply for a thought', () => {
    expect(replyOf('i say <think> here')).toBe('i say <think> here');
  });
});
