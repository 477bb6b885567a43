"""Turning rp-v1 examples into token ids, with the shared truncation rule.

Truncation rule (also what the app should do): while the full chat text is longer than
n_positions tokens, drop the oldest dialogue turn; the personas and the response are never cut.
"""
import data


def encode_example(tok, ex, max_len):
    """Returns (ids, response_span, n_dropped) or None when even an empty dialogue is too long.

    response_span = [start, end): the tokens of the assistant content only (no
    '<|im_start|>assistant\\n' before it, no '<|im_end|>' or newline after it).
    """
    for drop in range(len(ex["dialogue"]) + 1):
        e = dict(ex, dialogue=ex["dialogue"][drop:])
        prefix, response, suffix = data.split_prompt_response(e)
        p_ids = tok.encode(prefix)
        r_ids = tok.encode(response)
        s_ids = tok.encode(suffix)
        ids = p_ids + r_ids + s_ids
        if len(ids) <= max_len:
            return ids, (len(p_ids), len(p_ids) + len(r_ids)), drop
    return None
