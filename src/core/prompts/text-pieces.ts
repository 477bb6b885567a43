/**
 * Per-token text for display. A byte-level token can end inside a multi-byte character, and
 * decoding such a prefix yields U+FFFD. Each token's piece is what its prefix adds once trailing
 * U+FFFD is dropped: the token completing a character shows it, a token holding only its first
 * bytes shows nothing, and the pieces always concatenate to the decoded text.
 */
export function piecesFromPrefixes(prefixTexts: readonly string[]): string[] {
  const pieces: string[] = [];
  let previous = '';
  prefixTexts.forEach((text, i) => {
    const stable = i === prefixTexts.length - 1 ? text : text.replace(/\uFFFD+$/u, '');
    const common = stable.startsWith(previous) ? previous.length : commonPrefixLength(previous, stable);
    pieces.push(stable.slice(common));
    previous = stable;
  });
  return pieces;
}

function commonPrefixLength(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** The text before the first occurrence of any stop string, and which one matched. */
export function cutAtStop(text: string, stops: readonly string[]): { text: string; stopped: boolean } {
  let cut = -1;
  for (const stop of stops) {
    if (!stop) continue;
    const at = text.indexOf(stop);
    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  return cut < 0 ? { text, stopped: false } : { text: text.slice(0, cut), stopped: true };
}
