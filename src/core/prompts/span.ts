/**
 * Locating a response inside one tokenization of context + response.
 *
 * A response is scored on exactly its own tokens. The chat template renders the context and the
 * response into one text, which is tokenized once; the response's tokens are those whose text
 * overlaps the response's characters. (Tokenizing the context alone to find the boundary, as some
 * reference code does, can shift the span by a template token or two.)
 */

/** Characters [start, end) of the response in the rendered text. */
export interface CharSpan {
  readonly start: number;
  readonly end: number;
}

/** Tokens [start, end) of the response in the token sequence. */
export interface TokenSpan {
  readonly start: number;
  readonly end: number;
}

export class ResponseNotFoundError extends Error {
  override readonly name = 'ResponseNotFoundError' as const;
}

/** A marker no chat template produces and no role-play text contains. */
export const RESPONSE_MARKER = '\u2063\u2063rolescope-response\u2063\u2063';

/**
 * Finds the response's characters in `renderedFull`, the template rendered with the response, by
 * rendering once more with `RESPONSE_MARKER` in its place: the text before the marker must be the
 * same in both. Throws `ResponseNotFoundError` if the template altered the response (trimmed or
 * rewrote it), since then no exact span exists.
 */
export function locateResponse(renderedFull: string, renderedWithMarker: string, response: string): CharSpan {
  const start = renderedWithMarker.indexOf(RESPONSE_MARKER);
  if (start < 0) throw new ResponseNotFoundError('the chat template dropped the assistant message');
  const end = start + response.length;
  if (
    renderedFull.slice(0, start) !== renderedWithMarker.slice(0, start) ||
    renderedFull.slice(start, end) !== response
  ) {
    throw new ResponseNotFoundError(
      'the chat template changed the response text, so its tokens cannot be located exactly',
    );
  }
  return { start, end };
}

/**
 * Maps a character span to a token span, given `prefixText(i)`: the text decoded from the first i
 * tokens. The span starts at the token that begins the response's first character and ends after
 * the token that completes its last, found by binary search (O(log n) decodes). A token
 * straddling a boundary belongs to the response. A `guess` (the span of a response after the same
 * context) is checked first: when it is right, the span costs four decodes.
 *
 * Byte-level tokens can split a character: a prefix ending inside one decodes with trailing U+FFFD.
 * For the start, that partial character counts as begun (so a response opening with a split
 * character keeps its first bytes); for the end, it counts only once complete.
 */
export function tokenSpanFromChars(
  prefixText: (tokenCount: number) => string,
  tokenCount: number,
  chars: CharSpan,
  guess?: TokenSpan,
): TokenSpan {
  if (chars.end <= chars.start) throw new RangeError('the response is empty: there are no tokens to score');
  const begun = (n: number) => prefixText(n).length;
  const completed = (n: number) => prefixText(n).replace(/\uFFFD+$/u, '').length;
  // start = the largest i with begun(i) <= chars.start: token i is the first to reach into the response.
  // A guess is taken when it is that i (two decodes); otherwise a binary search finds it.
  const isStart = (i: number) =>
    i >= 0 && i <= tokenCount && begun(i) <= chars.start && (i === tokenCount || begun(i + 1) > chars.start);
  let lo = 0;
  let hi = tokenCount;
  if (guess && isStart(guess.start)) lo = hi = guess.start;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (begun(mid) <= chars.start) lo = mid;
    else hi = mid - 1;
  }
  const start = lo;
  // end = the smallest i with completed(i) >= chars.end.
  hi = tokenCount;
  if (guess && guess.end > start && guess.end <= tokenCount) {
    if (completed(guess.end) >= chars.end) {
      hi = guess.end;
      if (completed(guess.end - 1) < chars.end) lo = guess.end;
    } else lo = guess.end + 1;
  }
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (completed(mid) >= chars.end) hi = mid;
    else lo = mid + 1;
  }
  const end = lo;
  if (end <= start) throw new RangeError('the response maps to no tokens');
  return { start, end };
}
