/**
 * Reading a file's bytes as text, and showing text in messages. Every file Rolescope reads (benchmarks, imported responses,
 * results) is UTF-8; a file in another encoding (Latin-1, UTF-16) or with corrupt bytes is refused
 * with where the first bad byte is, rather than read with U+FFFD replacement characters that would
 * then be scored and hashed as if they were the user's text.
 */

export type Utf8Decode =
  { readonly ok: true; readonly text: string } | { readonly ok: false; readonly message: string };

/** Decodes strictly (a leading byte-order mark is dropped); a refusal names the line and byte. */
export function decodeUtf8(bytes: ArrayBuffer | Uint8Array): Utf8Decode {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(view) };
  } catch {
    const at = firstInvalidUtf8Byte(view);
    let line = 1;
    for (let i = 0; i < at; i++) if (view[i] === 0x0a) line++;
    const hex = `0x${(view[at] ?? 0).toString(16).toUpperCase().padStart(2, '0')}`;
    const where = at < view.length ? `byte ${hex} at line ${line} (offset ${at.toLocaleString('en')})` : 'its end';
    return {
      ok: false,
      message: `the file is not UTF-8 text: ${where} does not begin a valid UTF-8 character (save the file as UTF-8 and try again)`,
    };
  }
}

/**
 * Offset of the first byte that does not start a well-formed UTF-8 sequence (the Unicode
 * standard's table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF): a stray
 * continuation byte, or the lead byte of a sequence that is cut short (a Latin-1 "é" followed by
 * a letter). `bytes.length` when there is none. Only called once fatal decoding failed.
 */
export function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // Continuation bytes after the lead byte, and the range of the first one.
    let count: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) count = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      count = 2;
      if (b === 0xe0) low = 0xa0;
      if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      count = 3;
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k <= count; k++) {
      const c = bytes[i + k];
      if (c === undefined || (k === 1 ? c < low || c > high : c < 0x80 || c > 0xbf)) return i;
    }
    i += count + 1;
  }
  return bytes.length;
}

/** Control, zero-width, line-separator and bidirectional characters: they hide or reorder text. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
export const HIDDEN_CHARACTER = /[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF]/;

/**
 * `text` with every HIDDEN_CHARACTER written as a `\uXXXX` escape: a name quoted in a message
 * cannot hide part of it or reorder what follows (a U+202E turns the rest of a line around).
 */
export function escapeHidden(text: string): string {
  return text.replace(
    new RegExp(HIDDEN_CHARACTER.source, 'g'),
    (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
}
