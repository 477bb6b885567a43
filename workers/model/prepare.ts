/**
 * What the model runs, prepared from messages: chat templates rendered (with the day they print),
 * texts tokenized, and each response's token span found in its (context, response) sequence.
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import {
  locateResponse,
  renderPlainChat,
  RESPONSE_MARKER,
  tokenSpanFromChars,
  type CharSpan,
  type ChatMessage,
  type TokenSpan,
} from '../../src/core/index.js';
import { encodeWithContext, type ContextTokens } from './context-tokens.js';
import { fail, type Loaded, type PreparedSequence } from './loaded.js';
import { commonPrefixLength } from './shared-context.js';
import { strftime, templatePrintsDate } from './template-date.js';

/** Messages rendered by the model's chat template (a plain layout where it has none), on the day it loaded. */
export function render(
  { tokenizer, renderDay }: Pick<Loaded, 'tokenizer' | 'renderDay'>,
  messages: readonly ChatMessage[],
  addGenerationPrompt: boolean,
) {
  if (!tokenizer.chat_template) return renderPlainChat(messages, addGenerationPrompt);
  return tokenizer.apply_chat_template(
    messages as ChatMessage[],
    {
      tokenize: false,
      add_generation_prompt: addGenerationPrompt,
      // Llama 3.x templates print `date_string` when it is given, else today from the clock.
      ...(templatePrintsDate(tokenizer.chat_template) ? { date_string: strftime(renderDay, '%d %b %Y') } : {}),
    } as Parameters<PreTrainedTokenizer['apply_chat_template']>[1],
  ) as string;
}

/** Tokens' text exactly as they spell it (special tokens and spaces kept). */
export const decode = (tokenizer: PreTrainedTokenizer, ids: number[]) =>
  tokenizer.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });

/**
 * What a context's responses share while they are prepared: the template rendered with the
 * marker (it does not depend on the response), and the first sequence's tokens, the decoded
 * prefixes the others reuse as far as their tokens agree with it, and its span, where the
 * others' spans are looked for first (same start, same number of template tokens after); and
 * the context's own tokens (context-tokens.ts).
 */
export interface GroupMemo extends ContextTokens {
  marked?: string;
  first?: FirstSequence;
}
interface FirstSequence {
  readonly ids: readonly number[];
  readonly texts: Map<number, string>;
  span?: TokenSpan;
}

/**
 * One (context, response) pair as the model runs it: rendered, tokenized (the context's tokens
 * once per group, in `memo`), and cut after the response.
 */
export function prepare(
  current: Loaded,
  context: readonly ChatMessage[],
  response: string,
  prefix = '',
  memo: GroupMemo = {},
): PreparedSequence {
  const { tokenizer, info } = current;
  if (!response) fail('InvalidRequestError', 'an empty response has no tokens to score');
  const { full, chars } = renderResponse(current, context, response, prefix, memo);
  const ids = encodeWithContext(tokenizer, full, chars.start, memo);
  const span = tokenSpan(tokenizer, full, ids, chars, memo);
  if (span.start < 1) fail('ResponseNotFoundError', 'the response starts the sequence: it has no context');
  if (ids.length > info.maxTokens) {
    fail(
      'ContextTooLongError',
      `context + response is ${ids.length} tokens; ${info.ref.id} accepts at most ${info.maxTokens}`,
    );
  }
  // The template's tokens after the response (end of turn) cannot change a causal model's
  // predictions of the response: they are never run.
  return { ids: ids.slice(0, span.end), span };
}

/** The context and response rendered by the template, and where the response's characters are. */
function renderResponse(
  current: Loaded,
  context: readonly ChatMessage[],
  response: string,
  prefix: string,
  memo: GroupMemo,
) {
  memo.marked ??= render(current, [...context, { role: 'assistant', content: prefix + RESPONSE_MARKER }], false);
  // Templates that trim a message's content (Gemma's, Llama's) render a response without its
  // outer whitespace: the model is conditioned on, and scored on, the text as rendered.
  let full = '';
  let chars;
  let notFound: unknown;
  for (const text of new Set([response, response.trimEnd(), response.trim()])) {
    if (!text) continue;
    full = render(current, [...context, { role: 'assistant', content: prefix + text }], false);
    try {
      chars = locateResponse(full, memo.marked, text);
      break;
    } catch (error) {
      notFound ??= error;
    }
  }
  if (!chars) return fail('ResponseNotFoundError', (notFound as Error | undefined)?.message ?? 'the response is blank');
  return { full, chars };
}

/**
 * The response's tokens in `ids` (the tokens of `full`), from its characters: found by decoding
 * prefixes, reusing what the group's first sequence decoded.
 */
function tokenSpan(
  tokenizer: PreTrainedTokenizer,
  full: string,
  ids: number[],
  chars: CharSpan,
  memo: GroupMemo,
): TokenSpan {
  const first: FirstSequence = (memo.first ??= { ids, texts: new Map() });
  const agreed = first.ids === ids ? ids.length : commonPrefixLength([first.ids, ids], ids.length);
  const ownTexts = new Map<number, string>();
  const prefixText = (n: number): string => {
    if (n > agreed && tail === undefined) tail = tailDecoder();
    if (n > agreed && tail) return tail(n);
    const texts = n <= agreed ? first.texts : ownTexts;
    let text = texts.get(n);
    if (text === undefined) texts.set(n, (text = decode(tokenizer, ids.slice(0, n))));
    return text;
  };
  // Past the tokens it shares with the group's first sequence, a prefix's text is the shared
  // part's plus its own tokens' (byte-level decoders), when the two together give back the
  // rendered text: the binary search then decodes only the short tail, never the context again.
  let tail: ((n: number) => string) | null | undefined;
  const tailDecoder = () => {
    const head = prefixText(agreed);
    return full === head + decode(tokenizer, ids.slice(agreed))
      ? (n: number) => head + decode(tokenizer, ids.slice(agreed, n))
      : null;
  };
  const guess = first.span && { start: first.span.start, end: ids.length - (first.ids.length - first.span.end) };
  const span = tokenSpanFromChars(prefixText, ids.length, chars, guess);
  first.span ??= span;
  return span;
}
