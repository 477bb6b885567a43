/**
 * Policies that think before they answer (the bundled thinking policy; Qwen 3 and other Hub
 * models in thinking mode) write `<think>…</think>` and then their reply. Only the reply is the
 * response: it is what the estimator scores, so a thought never counts as role-play. The training
 * scripts split a thinking policy's output the same way (scripts/methods/policy.py).
 */

export const THINK_OPEN = '<think>';
export const THINK_CLOSE = '</think>';

/**
 * The reply in a policy's output, trimmed: what follows the last `</think>`; "" when a thought
 * opened and never closed (the model ran out of tokens while thinking); else the whole text.
 */
export function replyOf(text: string): string {
  const close = text.lastIndexOf(THINK_CLOSE);
  if (close >= 0) return text.slice(close + THINK_CLOSE.length).trim();
  const trimmed = text.trim();
  return trimmed.startsWith(THINK_OPEN) ? '' : trimmed;
}
