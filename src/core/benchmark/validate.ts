/**
 * Benchmark validation: a file is accepted whole or refused whole. Refusals list every problem
 * (up to MAX_LISTED_ERRORS) with the JSON path and what was expected, e.g.
 * `IDTest[12].dialogue_context[3]: expected {"agent_response"} after a user_query, got {"user_query"}`.
 */
import type { ZodError } from 'zod';
import {
  DEFAULT_REFERENCE,
  PAPER_TAGS,
  paperTag,
  RESERVED_KEYS,
  UNSPECIFIED_LANGUAGE,
  type Benchmark,
  type BenchmarkCategory,
  type BenchmarkMeta,
  type BenchmarkSample,
  type CategoryDeclaration,
  type PaperSample,
} from './format.js';
import {
  badName,
  categoriesSchema,
  describeValue,
  findBadCharacters,
  metaSchema,
  RESERVED_KEY,
  RESERVED_KEY_MESSAGE,
  sampleSchema,
} from './schema.js';
import { fromPaperSample } from './convert.js';
import { escapeHidden } from '../utf8.js';
import { parseJsonOrLines, type JsonLine } from '../jsonl.js';

export type BenchmarkFileFormat = 'splits' | 'list' | 'jsonl';

export interface ValidationIssue {
  /** Where, e.g. `IDTest[12].dialogue_context[3]`, `line 7, sample_ID` or `(file)`. */
  readonly path: string;
  readonly message: string;
}

export type ValidationResult =
  | {
      readonly ok: true;
      readonly format: BenchmarkFileFormat;
      readonly benchmark: Benchmark;
      readonly warnings: readonly ValidationIssue[];
    }
  | {
      readonly ok: false;
      readonly errors: readonly ValidationIssue[];
      readonly errorCount: number;
      readonly warnings: readonly ValidationIssue[];
    };

/** Larger files are refused before parsing (the app also checks the file size before reading). */
export const MAX_BENCHMARK_CHARS = 256 * 1024 * 1024;
/** Only the first errors are listed; the count says how many there were. */
export const MAX_LISTED_ERRORS = 500;

export function formatIssue(issue: ValidationIssue): string {
  return `${issue.path}: ${issue.message}`;
}

type Segment = string | number;

/** Where a sample sits: `IDTest[3]`, `[3]` or `line 4`. */
interface SampleLocation {
  readonly root: string;
  readonly rest: readonly Segment[];
  readonly split: string | null;
}

/** `IDTest[3].dialogue_context[1]`, `["s 1"]` or `line 4, response`: where a problem is in a JSON file. */
export function formatPath(root: string, rest: readonly Segment[]): string {
  let out = '';
  for (const s of rest) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(s)) out += `.${s}`;
    else out += `[${escapeHidden(JSON.stringify(s))}]`;
  }
  if (root.startsWith('line ')) return out ? `${root}, ${out.replace(/^\./, '')}` : root;
  if (!root) return out.replace(/^\./, '') || '(file)';
  return root + out;
}

class IssueList {
  readonly listed: ValidationIssue[] = [];
  count = 0;
  add(path: string, message: string): void {
    this.count++;
    if (this.listed.length < MAX_LISTED_ERRORS) this.listed.push({ path, message });
  }
  addZod(root: string, prefix: readonly Segment[], error: ZodError): void {
    for (const issue of error.issues) {
      this.add(formatPath(root, [...prefix, ...(issue.path as Segment[])]), issue.message);
    }
  }
}

/** Validates a benchmark file's text (JSON object of splits, JSON list, or JSONL). */
export function validateBenchmarkText(text: string): ValidationResult {
  if (text.length > MAX_BENCHMARK_CHARS) {
    return refuse(
      `the file holds ${text.length.toLocaleString('en')} characters; at most ${MAX_BENCHMARK_CHARS.toLocaleString('en')} are accepted`,
    );
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return refuse('the file is empty');
  const parsed = parseJsonOrLines(body);
  if (parsed.kind === 'invalid') return refuse(parsed.message);
  if (parsed.kind === 'json') return validateBenchmarkValue(parsed.value);
  const lines = jsonLineEntries(parsed.lines);
  return lines.ok ? validateEntries(lines.entries, 'jsonl', {}, undefined, undefined) : lines.result;
}

/** Validates an already parsed JSON value (object of splits or list of samples). */
export function validateBenchmarkValue(value: unknown): ValidationResult {
  if (Array.isArray(value)) {
    return validateEntries(
      value.map((v, i) => ({ value: v, at: { root: '', rest: [i], split: null } })),
      'list',
      {},
      undefined,
      undefined,
    );
  }
  if (value === null || typeof value !== 'object') {
    return refuse(`expected an object of splits, a list of samples, or JSON Lines; got ${describeValue(value)}`);
  }
  const issues = new IssueList();
  const record = value as Record<string, unknown>;
  const entries: { value: unknown; at: SampleLocation }[] = [];
  for (const [key, split] of Object.entries(record)) {
    if (RESERVED_KEYS.includes(key)) continue;
    const badKey = key === RESERVED_KEY ? RESERVED_KEY_MESSAGE : badName(key);
    if (badKey) {
      issues.add(formatPath('', [key]), key === RESERVED_KEY ? badKey : `the split name ${badKey}`);
      continue;
    }
    if (!Array.isArray(split)) {
      issues.add(formatPath(key, []), `expected a list of samples (a split), got ${describeValue(split)}`);
      continue;
    }
    split.forEach((v, i) => entries.push({ value: v, at: { root: key, rest: [i], split: key } }));
  }
  let declarations: Record<string, CategoryDeclaration> = {};
  if (record.categories !== undefined) {
    const parsed = categoriesSchema.safeParse(record.categories);
    if (parsed.success) declarations = parsed.data;
    else issues.addZod('', ['categories'], parsed.error);
    // zod drops a "__proto__" key without a word: the raw value is checked for it too.
    for (const bad of findBadCharacters(record.categories, ['categories']))
      issues.add(formatPath('', bad.path), bad.message);
    for (const [tag, declaration] of Object.entries(declarations)) {
      const badTag = badName(tag);
      if (badTag) issues.add(formatPath('', ['categories', tag]), `the tag ${badTag}`);
      const badReference = typeof declaration.reference === 'string' ? badName(declaration.reference) : null;
      if (badReference) issues.add(formatPath('', ['categories', tag, 'reference']), badReference);
    }
  }
  let meta: BenchmarkMeta = {};
  if (record.meta !== undefined) {
    const parsed = metaSchema.safeParse(record.meta);
    if (parsed.success) meta = parsed.data;
    else issues.addZod('', ['meta'], parsed.error);
    for (const bad of findBadCharacters(record.meta, ['meta'])) issues.add(formatPath('', bad.path), bad.message);
  }
  return validateEntries(entries, 'splits', declarations, meta, issues);
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function refuse(message: string): ValidationResult {
  return { ok: false, errors: [{ path: '(file)', message }], errorCount: 1, warnings: [] };
}

/** JSON Lines' samples; a line that is not JSON refuses the file (every such line is listed). */
function jsonLineEntries(
  lines: readonly JsonLine[],
): { ok: true; entries: { value: unknown; at: SampleLocation }[] } | { ok: false; result: ValidationResult } {
  const issues = new IssueList();
  const entries: { value: unknown; at: SampleLocation }[] = [];
  for (const line of lines) {
    const root = `line ${line.line}`;
    if ('invalid' in line) issues.add(root, line.invalid);
    else entries.push({ value: line.value, at: { root, rest: [], split: null } });
  }
  if (issues.count > 0)
    return { ok: false, result: { ok: false, errors: issues.listed, errorCount: issues.count, warnings: [] } };
  return { ok: true, entries };
}

interface TagStats {
  count: number;
  firstPath: string;
  languages: Record<string, number>;
}

function validateEntries(
  entries: readonly { value: unknown; at: SampleLocation }[],
  format: BenchmarkFileFormat,
  declarations: Record<string, CategoryDeclaration>,
  meta: BenchmarkMeta | undefined,
  issues: IssueList = new IssueList(),
): ValidationResult {
  const warnings: ValidationIssue[] = [];
  const samples: BenchmarkSample[] = [];
  const firstPathById = new Map<string, string>();
  const tags = new Map<string, TagStats>();

  for (const { value, at } of entries) {
    const parsed = sampleSchema.safeParse(value);
    if (!parsed.success) {
      issues.addZod(at.root, at.rest, parsed.error);
      continue;
    }
    const badCharacters = findBadCharacters(value);
    for (const bad of badCharacters) issues.add(formatPath(at.root, [...at.rest, ...bad.path]), bad.message);
    if (badCharacters.length > 0) continue;
    const badNames = (['sample_ID', 'subset_tag'] as const).flatMap((field) => {
      const bad = badName(String(parsed.data[field]));
      return bad ? [{ field, bad }] : [];
    });
    for (const { field, bad } of badNames) issues.add(formatPath(at.root, [...at.rest, field]), bad);
    if (badNames.length > 0) continue;

    const sample = fromPaperSample(parsed.data as PaperSample, at.split);
    const idPath = formatPath(at.root, [...at.rest, 'sample_ID']);
    const firstPath = firstPathById.get(sample.id);
    if (firstPath !== undefined) {
      issues.add(
        idPath,
        `duplicate ID ${JSON.stringify(sample.id)} (first used at ${firstPath.replace(/[.,] ?sample_ID$/, '')})`,
      );
      continue;
    }
    firstPathById.set(sample.id, idPath);

    const stats = tags.get(sample.category) ?? {
      count: 0,
      firstPath: formatPath(at.root, [...at.rest, 'subset_tag']),
      languages: {},
    };
    stats.count++;
    const language = sample.language ?? UNSPECIFIED_LANGUAGE;
    stats.languages[language] = (stats.languages[language] ?? 0) + 1;
    tags.set(sample.category, stats);
    samples.push(sample);
  }

  if (entries.length === 0) issues.add('(file)', 'the file holds no samples');
  const categories = resolveCategories(tags, declarations, issues, warnings);
  if (issues.count > 0) return { ok: false, errors: issues.listed, errorCount: issues.count, warnings };
  return { ok: true, format, benchmark: { meta: meta ?? {}, categories, samples }, warnings };
}

/** Families, labels and references of the tags in use; errors for what cannot be resolved. */
function resolveCategories(
  tags: ReadonlyMap<string, TagStats>,
  declarations: Record<string, CategoryDeclaration>,
  issues: IssueList,
  warnings: ValidationIssue[],
): BenchmarkCategory[] {
  const declarationOf = (tag: string) => (Object.hasOwn(declarations, tag) ? declarations[tag] : undefined);
  const declPath = (tag: string, field?: string) => formatPath('', ['categories', tag, ...(field ? [field] : [])]);
  const families = new Map<string, BenchmarkCategory['family']>();
  for (const [tag, stats] of tags) {
    const family = declarationOf(tag)?.family ?? paperTag(tag)?.family;
    if (family) families.set(tag, family);
    else if (declarationOf(tag))
      issues.add(
        declPath(tag, 'family'),
        `missing (expected the shift family of "${tag}", which is not one of the paper's tags)`,
      );
    else {
      issues.add(
        stats.firstPath,
        `unknown tag ${JSON.stringify(tag)} (${plural(stats.count, 'sample')}): declare it under "categories" with its family, label and reference, or use one of the paper's tags (${Object.keys(PAPER_TAGS).join(', ')})`,
      );
    }
  }
  for (const tag of Object.keys(declarations)) {
    if (!tags.has(tag)) warnings.push({ path: declPath(tag), message: 'declared but no sample has this subset_tag' });
  }

  const categories: BenchmarkCategory[] = [];
  for (const [tag, stats] of tags) {
    const family = families.get(tag);
    if (!family) continue;
    const declaration = declarationOf(tag);
    const where =
      declaration?.reference !== undefined ? declPath(tag, 'reference') : declaration ? declPath(tag) : stats.firstPath;
    let reference: string | null = null;
    if (family === 'in-distribution') {
      if (declaration?.reference)
        issues.add(where, `"${tag}" is an in-distribution category; it is a reference and has none itself (use null)`);
    } else {
      reference = declaration?.reference === undefined ? DEFAULT_REFERENCE : declaration.reference;
      if (reference === null)
        issues.add(
          where,
          `the ${family} shift "${tag}" needs an in-distribution reference category to be compared with`,
        );
      else if (reference === tag) issues.add(where, `"${tag}" cannot be its own reference`);
      else if (!tags.has(reference))
        issues.add(where, `"${tag}" is compared with "${reference}", which has no samples in this file`);
      else if (families.get(reference) && families.get(reference) !== 'in-distribution') {
        issues.add(
          where,
          `"${tag}" is compared with "${reference}", a ${families.get(reference)} shift; the reference must be an in-distribution category`,
        );
      }
    }
    categories.push({
      tag,
      family,
      label: declaration?.label ?? paperTag(tag)?.label ?? tag,
      reference,
      ...(declaration?.note ? { note: declaration.note } : {}),
      sampleCount: stats.count,
      languages: stats.languages,
      declared: declaration !== undefined,
    });
  }
  return categories;
}
