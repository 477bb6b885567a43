/**
 * The bad-input corpus (test/fixtures/bad/, see its README) and the checks every entry point's
 * test makes of it: Object.prototype untouched, parsed objects with plain prototypes, problems
 * reported at their path with a message that says what is wrong.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const CORPUS_DIR = fileURLToPath(new URL('../../fixtures/bad/', import.meta.url));

/** The corpus files of one entry point, sorted. */
export const corpusFiles = (dir: string): string[] => readdirSync(path.join(CORPUS_DIR, dir)).sort();

export const corpusBytes = (file: string): Uint8Array<ArrayBuffer> =>
  new Uint8Array(readFileSync(path.join(CORPUS_DIR, file)));

export const corpusJson = <T>(file: string): T => JSON.parse(readFileSync(path.join(CORPUS_DIR, file), 'utf8')) as T;

/** The two injections the corpus puts in every text field. */
export const SCRIPT = '<script>window.__pwned=1</script>';
export const IMG = '<img src=x onerror="window.__pwned=1">';

/** Object.prototype's own keys before any corpus file was parsed. */
const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();

/** Nothing a file said reached Object.prototype. */
export function expectNoPollution(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_KEYS);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype.toString).toBe(Object.prototype.toString);
}

/**
 * Every object reachable from `value` has Object.prototype, Array.prototype or no prototype: none
 * took a prototype (and its keys) from a file's "__proto__" field.
 */
export function expectPlainObjects(value: unknown, where = '(value)'): void {
  const stack: { value: unknown; where: string }[] = [{ value, where }];
  const seen = new Set<unknown>();
  while (stack.length > 0) {
    const { value: v, where: at } = stack.pop()!;
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    const proto = Object.getPrototypeOf(v) as unknown;
    if (!(v instanceof Blob)) expect([Object.prototype, Array.prototype, null], at).toContain(proto);
    for (const [key, item] of Object.entries(v)) stack.push({ value: item, where: `${at}.${key}` });
  }
}

export interface Issue {
  readonly path: string;
  readonly message: string;
}

/** One of `issues` is at `path` with a message matching `message`. */
export function expectIssue(issues: readonly Issue[], path: string, message: RegExp | string): void {
  const matcher = typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message);
  expect(issues, JSON.stringify(issues, null, 1)).toContainEqual({ path, message: matcher });
}

/** The issues a refused file must have: each a path and (part of) its message. */
export type Refusal = readonly (readonly [path: string, message: RegExp | string])[];

/** `result` is a refusal with (at least) every issue of `refusal`. */
export function expectRefused(
  result: { readonly ok: true } | { readonly ok: false; readonly errors: readonly Issue[] },
  refusal: Refusal,
): void {
  expect(result.ok).toBe(false);
  if (!result.ok) for (const [path, message] of refusal) expectIssue(result.errors, path, message);
}

/** A string of `n` characters, none of them special to JSON or HTML. */
export const longText = (n: number, fill = 'x'): string => fill.repeat(n);

/** 10 MiB, the issue's "10 MB strings". */
export const TEN_MIB = 10 * 1024 * 1024;
