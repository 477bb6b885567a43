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
import { MAX_BENCHMARK_CHARS, formatPath } from '../benchmark/validate.js';
import { parseJsonOrLines, type JsonLine } from '../jsonl.js';

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

/** A JSON Lines line as an entry at `line <n>`. */
const lineEntry = (line: JsonLine): Entry => ({
  ...('invalid' in line ? { invalid: line.invalid } : { value: line.value }),
  root: `line ${line.line}`,
  rest: [],
});

const quoteList = (ids: readonly string[]) => ids.map((id) => JSON.stringify(id)).join(', ');

/** What a file has answered so far, where each ID was first answered, and the problems found. */
class Answers {
  readonly errors: ResponsesParseError[] = [];
  readonly found = new Map<string, string>();
  /** Where each ID was first answered, for duplicate messages. */
  readonly firstPath = new Map<string, string>();

  constructor(private readonly known: ReadonlySet<string>) {}

  /** Marks an ID answered at `where`; false (and an error) when it was answered before. */
  claim(id: string, idPath: string, where: string): boolean {
    const first = this.firstPath.get(id);
    if (first !== undefined) {
      this.errors.push({ path: idPath, message: `duplicate ID ${JSON.stringify(id)} (first used at ${first})` });
      return false;
    }
    this.firstPath.set(id, where);
    return true;
  }

  /** Keeps a response to a claimed ID, unless the ID is unknown or the text has bad characters. */
  accept(id: string, response: string, idPath: string, responsePath: string): void {
    const bad = findBadCharacters(response);
    for (const b of bad) this.errors.push({ path: responsePath, message: b.message });
    if (!this.known.has(id)) {
      const example = [...this.known].slice(0, 1);
      this.errors.push({
        path: idPath,
        message: `unknown sample ID ${JSON.stringify(id)} (expected one of the benchmark's ${this.known.size} sample IDs${example.length ? `, e.g. ${quoteList(example)}` : ''})`,
      });
    } else if (bad.length === 0) this.found.set(id, response);
  }
}

/** A `{"<sample_ID>": "<response>", ...}` object; `body` is its text, read again for repeated keys. */
function readRecord(answers: Answers, record: Record<string, unknown>, body: string): void {
  const counts = new Map<string, number>();
  for (const key of topLevelKeys(body)) counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const [id, response] of Object.entries(record)) {
    const path = `[${JSON.stringify(id)}]`;
    answers.firstPath.set(id, path);
    if (counts.get(id)! > 1) {
      answers.errors.push({
        path,
        message: `duplicate ID ${JSON.stringify(id)} (the object names it ${counts.get(id)} times; JSON would keep only the last)`,
      });
      continue;
    }
    if (typeof response !== 'string') {
      answers.errors.push({ path, message: `expected ${RESPONSE}, got ${describeValue(response)}` });
      continue;
    }
    answers.accept(id, response, path, path);
  }
}

/** `{sample_ID, response}` objects, from a list or JSON Lines. */
function readEntries(answers: Answers, entries: readonly Entry[]): void {
  for (const { value: entry, invalid, root, rest } of entries) {
    if (invalid !== undefined) {
      answers.errors.push({ path: root, message: invalid });
      continue;
    }
    const idPath = formatPath(root, [...rest, 'sample_ID']);
    const parsed = entrySchema.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        answers.errors.push({
          path: formatPath(root, [...rest, ...(issue.path as Segment[])]),
          message: issue.message,
        });
      }
      // A well-formed ID with a bad response is reported once, not also as missing.
      const id = (entry as { sample_ID?: unknown } | null)?.sample_ID;
      if (typeof id === 'string' || Number.isInteger(id)) answers.claim(String(id), idPath, formatPath(root, rest));
      continue;
    }
    const id = String(parsed.data.sample_ID);
    if (answers.claim(id, idPath, formatPath(root, rest)))
      answers.accept(id, parsed.data.response, idPath, formatPath(root, [...rest, 'response']));
  }
}

/** The file's verdict: its problems (listed up to a limit) and the IDs it leaves unanswered, or its responses. */
function verdict(answers: Answers, sampleIds: readonly string[], required: ReadonlySet<string>): ResponsesParse {
  const { errors } = answers;
  if (errors.length > MAX_LISTED_RESPONSE_ERRORS - 1) {
    const more = errors.length - (MAX_LISTED_RESPONSE_ERRORS - 2);
    errors.splice(MAX_LISTED_RESPONSE_ERRORS - 2, Infinity, { path: '(file)', message: `and ${more} more problems` });
  }
  const missing = sampleIds.filter((id) => !answers.firstPath.has(id));
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
  for (const [id, response] of answers.found) responses[id] = response;
  return { ok: true, responses };
}

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
  const answers = new Answers(known);

  const parsed = parseJsonOrLines(body);
  if (parsed.kind === 'invalid') return refuse(parsed.message);
  if (parsed.kind === 'lines') {
    readEntries(answers, parsed.lines.map(lineEntry));
    return verdict(answers, sampleIds, required);
  }
  const { value } = parsed;
  if (Array.isArray(value)) {
    readEntries(
      answers,
      value.map((v, i) => ({ value: v, root: '', rest: [i] })),
    );
  } else if (value === null || typeof value !== 'object') {
    return refuse(
      `expected an object of responses by sample ID, a list of {"sample_ID", "response"} objects, or JSON Lines; got ${describeValue(value)}`,
    );
  } else if (Object.hasOwn(value, 'sample_ID') && !known.has('sample_ID')) {
    // One {sample_ID, response} object: JSON Lines of a single line.
    readEntries(answers, [{ value, root: '', rest: [] }]);
  } else {
    readRecord(answers, value as Record<string, unknown>, body);
  }
  return verdict(answers, sampleIds, required);
}
