/**
 * Tokenizing a context once for all of its responses. Added tokens (a chat template's
 * `<|im_start|>` and the like) split a text into sections that the tokenizer encodes each on its
 * own, so every text rendered from the same context, up to the last added token before the
 * response, gives the same tokens: they are encoded once per context, and per response only the
 * section from that token on (the assistant's header, the response, the end of its turn). With
 * responses of a few dozen tokens after contexts of hundreds, that is most of the tokenizer's
 * work gone.
 *
 * Exact by construction, and checked besides: the first response of a context is encoded whole
 * and split, and the split is used for the others only when the two agree.
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';

/** What a context's responses share: where the split falls and the tokens before it (null: encode whole). */
export interface ContextTokens {
  head?: { readonly chars: number; readonly token: string; readonly ids: readonly number[] } | null;
}

interface AddedToken {
  readonly content: string;
  readonly lstrip: boolean;
  readonly normalized: boolean;
}

const addedTokensOf = new WeakMap<PreTrainedTokenizer, readonly AddedToken[]>();

/**
 * The tokenizer's added tokens, where it lists them (transformers.js keeps them on its inner
 * tokenizer), listed once per tokenizer: this runs for every response scored.
 */
function addedTokens(tokenizer: PreTrainedTokenizer): readonly AddedToken[] {
  let tokens = addedTokensOf.get(tokenizer);
  if (!tokens) {
    const inner = (
      tokenizer as unknown as { _tokenizer?: { get_added_tokens_decoder?: () => Map<number, AddedToken> } }
    )._tokenizer;
    tokens = [...(inner?.get_added_tokens_decoder?.().values() ?? [])];
    addedTokensOf.set(tokenizer, tokens);
  }
  return tokens;
}

/** The added token the tokenizer takes at `at` (the longest that starts there), if any. */
const addedTokenAt = (tokens: readonly AddedToken[], text: string, at: number): AddedToken | undefined =>
  tokens
    .filter((t) => t.content.length > 0 && text.startsWith(t.content, at))
    .reduce<AddedToken | undefined>((a, b) => (a && a.content.length >= b.content.length ? a : b), undefined);

/**
 * Where `text` can be split for every response rendered after the same context: at the last added
 * token that ends before the response's first character, matched on the raw text (not
 * normalized) and not stripping the text before it. Null when there is none past the start.
 */
function splitPoint(tokens: readonly AddedToken[], text: string, responseStart: number) {
  let best = -1;
  for (const t of tokens) best = Math.max(best, text.lastIndexOf(t.content, responseStart - t.content.length));
  if (best <= 0) return null;
  const token = addedTokenAt(tokens, text, best);
  if (!token || token.lstrip || token.normalized || best + token.content.length > responseStart) return null;
  return { chars: best, token: token.content };
}

const sameIds = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The tokens of `text` (a context rendered with a response starting at `responseStart`), as
 * `tokenizer.encode` gives them, reusing what `memo` holds of the same context: every text given
 * the same memo must agree with the first up to `responseStart` (locateResponse checks that).
 */
export function encodeWithContext(
  tokenizer: PreTrainedTokenizer,
  text: string,
  responseStart: number,
  memo: ContextTokens,
): number[] {
  // Without a chat template the tokenizer adds its special tokens around each text it encodes:
  // the two parts could not simply be put together.
  const addSpecialTokens = !tokenizer.chat_template;
  const whole = () => tokenizer.encode(text, { add_special_tokens: addSpecialTokens });
  const rest = (from: number) => tokenizer.encode(text.slice(from), { add_special_tokens: false });
  const tokens = addSpecialTokens ? [] : addedTokens(tokenizer);
  if (memo.head === undefined) {
    const ids = whole();
    const split = splitPoint(tokens, text, responseStart);
    memo.head = null;
    if (split) {
      const head = { ...split, ids: tokenizer.encode(text.slice(0, split.chars), { add_special_tokens: false }) };
      if (sameIds(ids, [...head.ids, ...rest(split.chars)])) memo.head = head;
    }
    return ids;
  }
  const { head } = memo;
  // The same token must start the split here: one reaching into this response could be longer.
  if (!head || addedTokenAt(tokens, text, head.chars)?.content !== head.token) return whole();
  return [...head.ids, ...rest(head.chars)];
}
