/**
 * Imported policy responses, for models that cannot run here: a file of sample ID → response,
 * checked against the benchmark samples it must answer. A file is one of
 *   - a JSON object `{"<sample_ID>": "<response>", ...}`;
 *   - a JSON list of `{"sample_ID": ..., "response": ...}` objects;
 *   - JSON Lines, one such object per line.
 * sample_ID may be a string or an integer, compared as a string, as in benchmark files. The file
 * is accepted whole or refused whole; refusals list every problem with its JSON path and what was
 * expected, in the benchmark validator's style, e.g. `[3].response: expected a string, got a
 * number` or `line 7, sample_ID: duplicate ID "a" (first used at line 2)`. Empty responses are
 * accepted (the pipeline counts them as empty responses).
 */
import * as z from 'zod';
import { describeValue, expected, findBadCharacters } from '../benchmark/schema.js';
import { MAX_BENCHMARK_CHARS, describeJsonError, formatPath } from '../benchmark/validate.js';

export interface ResponsesParseError {
  /** Where, e.g. `["s12"]`, `[3].response`, `line 7, sample_ID` or `(file)`. */
  readonly path: string;
  readonly message: string;
}

export type ResponsesParse =
  | { readonly ok: true; readonly responses: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly errors: readonly ResponsesParseError[] };

export interface ResponsesParseOptions {
  /**
   * Every sample ID of the benchmark (default: `sampleIds`): IDs here but not in `sampleIds`
   * (samples the run leaves out, e.g. with a per-category limit) may be answered but need not be.
   */
  readonly knownIds?: readonly string[];
}

/** Only the first problems are listed; one last entry says how many more there were. */
export const MAX_LISTED_RESPONSE_ERRORS = 100;
/** Missing IDs named in the one error that counts them. */
const MISSING_NAMED = 5;

type Segment = string | number;

/** Responses may be empty: the pipeline counts them as empty responses. */
const RESPONSE = 'a string';

const entrySchema = z.looseObject(
  {
    sample_ID: z.union(
      [
        z.string().refine((s) => s.trim() !== '', { error: 'expected a non-empty string, got an empty string' }),
        z.number().int(),
      ],
      { error: expected('a non-empty string or an integer') },
    ),
    response: z.string({ error: expected(RESPONSE) }),
  },
  { error: expected('a {"sample_ID", "response"} object') },
);

/**
 * The keys of a valid JSON text's top-level object, in order and with repeats, which JSON.parse
 * silently drops (the last value wins): a repeated sample ID must be refused, not half-read.
 */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let i = text.indexOf('{') + 1;
  const skipSpace = () => {
    while (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r') i++;
  };
  const readString = (): string => {
    const start = i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const skipValue = () => {
    let depth = 0;
    do {
      const c = text[i];
      if (c === '"') {
        readString();
        continue;
      }
      if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') depth--;
      i++;
    } while (depth > 0 || (text[i] !== ',' && text[i] !== '}'));
  };
  skipSpace();
  if (text[i] === '}') return keys;
  for (;;) {
    skipSpace();
    keys.push(readString());
    skipSpace();
    i++; // ':'
    skipSpace();
    skipValue();
    if (text[i] === '}') return keys;
    i++; // ','
  }
}

/**
 * One `{sample_ID, response}` object and where it sits: `[3]`, `line 4` or the whole file; a
 * JSON Lines line that is not JSON carries its error instead, so problems are listed in order.
 */
interface Entry {
  readonly value?: unknown;
  readonly invalid?: string;
  readonly root: string;
  readonly rest: readonly Segment[];
}

/**
 * JSON Lines when the text is not one JSON value but its first non-empty line is a JSON object;
 * null when it does not look like JSON Lines at all.
 */
function jsonLines(text: string): Entry[] | null {
  const lines = text.split(/\r?\n/);
  const firstIndex = lines.findIndex((l) => l.trim() !== '');
  try {
    const first: unknown = JSON.parse(lines[firstIndex]!);
    if (first === null || typeof first !== 'object' || Array.isArray(first)) return null;
  } catch {
    return null;
  }
  const entries: Entry[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const root = `line ${i + 1}`;
    try {
      entries.push({ value: JSON.parse(line), root, rest: [] });
    } catch (error) {
      entries.push({ invalid: `not valid JSON ${describeJsonError(error, line)}`, root, rest: [] });
    }
  });
  return entries;
}

const quoteList = (ids: readonly string[]) => ids.map((id) => JSON.stringify(id)).join(', ');

/** Parses and checks an imported responses file against the benchmark samples it must answer. */
export function parseResponsesText(
  text: string,
  sampleIds: readonly string[],
  options: ResponsesParseOptions = {},
): ResponsesParse {
  const refuse = (message: string): ResponsesParse => ({ ok: false, errors: [{ path: '(file)', message }] });
  if (text.length > MAX_BENCHMARK_CHARS) {
    return refuse(
      `the file holds ${text.length.toLocaleString('en')} characters; at most ${MAX_BENCHMARK_CHARS.toLocaleString('en')} are accepted`,
    );
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return refuse('the file is empty');
  const required = new Set(sampleIds);
  const known = new Set(options.knownIds ?? sampleIds);
  for (const id of required) known.add(id);
  const errors: ResponsesParseError[] = [];
  const found = new Map<string, string>();
  /** Where each ID was first answered, for duplicate messages. */
  const firstPath = new Map<string, string>();
  /** Marks an ID answered at `where`; false (and an error) when it was answered before. */
  const claim = (id: string, idPath: string, where: string): boolean => {
    const first = firstPath.get(id);
    if (first !== undefined) {
      errors.push({ path: idPath, message: `duplicate ID ${JSON.stringify(id)} (first used at ${first})` });
      return false;
    }
    firstPath.set(id, where);
    return true;
  };
  const accept = (id: string, response: string, idPath: string, responsePath: string) => {
    const bad = findBadCharacters(response);
    for (const b of bad) errors.push({ path: responsePath, message: b.message });
    if (!known.has(id)) {
      const example = [...known].slice(0, 1);
      errors.push({
        path: idPath,
        message: `unknown sample ID ${JSON.stringify(id)} (expected one of the benchmark's ${known.size} sample IDs${example.length ? `, e.g. ${quoteList(example)}` : ''})`,
      });
    } else if (bad.length === 0) found.set(id, response);
  };

  let value: unknown;
  let entries: Entry[] | null = null;
  try {
    value = JSON.parse(body);
  } catch (error) {
    entries = jsonLines(body);
    if (!entries) return refuse(`not valid JSON ${describeJsonError(error, body)}`);
  }
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  if (Array.isArray(value)) {
    entries = value.map((v, i) => ({ value: v, root: '', rest: [i] }));
  } else if (isObject && Object.hasOwn(value as object, 'sample_ID') && !known.has('sample_ID')) {
    // One {sample_ID, response} object: JSON Lines of a single line.
    entries = [{ value, root: '', rest: [] }];
  } else if (isObject) {
    const record = value as Record<string, unknown>;
    const counts = new Map<string, number>();
    for (const key of topLevelKeys(body)) counts.set(key, (counts.get(key) ?? 0) + 1);
    for (const [id, response] of Object.entries(record)) {
      const path = `[${JSON.stringify(id)}]`;
      firstPath.set(id, path);
      if (counts.get(id)! > 1) {
        errors.push({
          path,
          message: `duplicate ID ${JSON.stringify(id)} (the object names it ${counts.get(id)} times; JSON would keep only the last)`,
        });
        continue;
      }
      if (typeof response !== 'string') {
        errors.push({ path, message: `expected ${RESPONSE}, got ${describeValue(response)}` });
        continue;
      }
      accept(id, response, path, path);
    }
  } else if (!entries) {
    return refuse(
      `expected an object of responses by sample ID, a list of {"sample_ID", "response"} objects, or JSON Lines; got ${describeValue(value)}`,
    );
  }

  for (const { value: entry, invalid, root, rest } of entries ?? []) {
    if (invalid !== undefined) {
      errors.push({ path: root, message: invalid });
      continue;
    }
    const idPath = formatPath(root, [...rest, 'sample_ID']);
    const parsed = entrySchema.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        errors.push({ path: formatPath(root, [...rest, ...(issue.path as Segment[])]), message: issue.message });
      }
      // A well-formed ID with a bad response is reported once, not also as missing.
      const id = (entry as { sample_ID?: unknown } | null)?.sample_ID;
      if (typeof id === 'string' || Number.isInteger(id)) claim(String(id), idPath, formatPath(root, rest));
      continue;
    }
    const id = String(parsed.data.sample_ID);
    if (claim(id, idPath, formatPath(root, rest)))
      accept(id, parsed.data.response, idPath, formatPath(root, [...rest, 'response']));
  }

  if (errors.length > MAX_LISTED_RESPONSE_ERRORS - 1) {
    const more = errors.length - (MAX_LISTED_RESPONSE_ERRORS - 2);
    errors.splice(MAX_LISTED_RESPONSE_ERRORS - 2, Infinity, { path: '(file)', message: `and ${more} more problems` });
  }
  const missing = sampleIds.filter((id) => !firstPath.has(id));
  if (missing.length > 0) {
    const named = quoteList(missing.slice(0, MISSING_NAMED)) + (missing.length > MISSING_NAMED ? ', ...' : '');
    errors.push({
      path: '(file)',
      message: `missing responses for ${missing.length} of the ${required.size} samples to answer: ${named}`,
    });
  }
  if (errors.length > 0) return { ok: false, errors };
  // Own keys only, on no prototype: IDs such as "__proto__" or "constructor" stay plain data.
  const responses = Object.create(null) as Record<string, string>;
  for (const [id, response] of found) responses[id] = response;
  return { ok: true, responses };
}
