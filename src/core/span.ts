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
 * Maps a character span to a token span, given `prefixChars(i)`: the length of the text decoded
 * from the first i tokens (non-decreasing in i, prefixChars(0) = 0). The span starts at the token
 * containing the response's first character and ends after the token containing its last, found by
 * binary search (O(log n) decodes). A token straddling the boundary belongs to the response.
 */
export function tokenSpanFromChars(
  prefixChars: (tokenCount: number) => number,
  tokenCount: number,
  chars: CharSpan,
): TokenSpan {
  if (chars.end <= chars.start) throw new RangeError('the response is empty: there are no tokens to score');
  // start = the largest i with prefixChars(i) <= chars.start (token i begins at or before it).
  let lo = 0;
  let hi = tokenCount;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (prefixChars(mid) <= chars.start) lo = mid;
    else hi = mid - 1;
  }
  const start = Math.min(lo, tokenCount);
  // end = the smallest i with prefixChars(i) >= chars.end.
  lo = start;
  hi = tokenCount;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (prefixChars(mid) >= chars.end) hi = mid;
    else lo = mid + 1;
  }
  const end = lo;
  if (end <= start) throw new RangeError('the response maps to no tokens');
  return { start, end };
}
