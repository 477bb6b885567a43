/**
 * Reading a file's text as JSON or JSON Lines, for every file a user hands the app (benchmarks,
 * imported responses): one JSON value, or else one JSON object per line. A JSON.parse error is
 * described by line and column, as people look for it in an editor.
 */

/** One non-empty line of a JSON Lines text: its value, or why it is not JSON. */
export type JsonLine =
  { readonly line: number; readonly value: unknown } | { readonly line: number; readonly invalid: string };

/** A file's text read as one JSON value, as JSON Lines, or neither (with the JSON error). */
export type JsonText =
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'lines'; readonly lines: readonly JsonLine[] }
  | { readonly kind: 'invalid'; readonly message: string };

/** JSON.parse messages give a character position; people want a line and column. */
export function describeJsonError(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : String(error);
  // V8 gives no position here; the end of the text is the place, and a cut file the likely cause.
  if (/unexpected end of (JSON )?(input|data)/i.test(message)) {
    return `at line ${text.split('\n').length}, the end of the text (it stops before the JSON is complete: was the file cut short?)`;
  }
  const m = /position (\d+)/.exec(message);
  const reason = message.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '');
  if (!m) return `(${reason})`;
  const position = Number(m[1]);
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return line === 1 && !text.includes('\n')
    ? `at column ${column} (${reason})`
    : `at line ${line}, column ${column} (${reason})`;
}

/**
 * Every non-empty line of the text parsed on its own, numbered from 1 (blank lines counted). A
 * line that is not JSON carries its error, so problems can be listed in file order.
 */
export function readJsonLines(text: string): JsonLine[] {
  const parsed: JsonLine[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      parsed.push({ line: i + 1, value: JSON.parse(line) });
    } catch (error) {
      parsed.push({ line: i + 1, invalid: `not valid JSON ${describeJsonError(error, line)}` });
    }
  });
  return parsed;
}

/**
 * The text read as JSON Lines (readJsonLines) when its first non-empty line is a JSON object;
 * null when it does not look like JSON Lines at all.
 */
export function parseJsonLines(text: string): JsonLine[] | null {
  const first = text.split(/\r?\n/).find((l) => l.trim() !== '');
  if (first === undefined) return null;
  try {
    const value: unknown = JSON.parse(first);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  } catch {
    return null;
  }
  return readJsonLines(text);
}

/**
 * One JSON value when the text parses as one, else JSON Lines when it looks like them (see
 * parseJsonLines), else the whole text's JSON error as a message.
 */
export function parseJsonOrLines(text: string): JsonText {
  try {
    return { kind: 'json', value: JSON.parse(text) };
  } catch (error) {
    const lines = parseJsonLines(text);
    if (lines) return { kind: 'lines', lines };
    return { kind: 'invalid', message: `not valid JSON ${describeJsonError(error, text)}` };
  }
}
