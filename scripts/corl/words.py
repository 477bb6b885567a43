"""Word tokens shared by the cold-start targets (targets.py) and the rewards (rewards.py).

A token is a lowercased run of Unicode word characters (\\w without "_", so the `__SILENCE__`
placeholder of Xpersona reads as "silence"). Chinese and Japanese are not written with spaces
between words, so a run of Han, Hiragana or Katakana characters becomes its character bigrams
(one character alone stays one token): a dictionary-free stand-in for word segmentation that is
good enough for "do these two texts share words". Korean is written with spaces and is split like
English. Content words drop a small English stopword list and one-letter Latin tokens ("s" of
"it's"); the other languages keep all their words, which only makes overlaps a little noisier.
"""
import re

_WORD = re.compile(r"[^\W_]+")
# Hiragana, Katakana, CJK Extension A, CJK Unified Ideographs, CJK Compatibility Ideographs.
_CJK_RUN = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)")

STOPWORDS = frozenset(
    """
    a about after again all also am an and any are as at be because been before being but by can
    could did do does doing don dont for from get got had has have having he her here hers him his
    how i if im in into is it its ive just me more most my myself no not now of off on once only or
    other our ours out over own re same she should so some such than that the their them then there
    these they this those to too up us ve ll very was we were what when where which while who whom
    why will with would you your yours yourself
    hi hello hey oh ok okay yeah yes well really lol nice good great cool sure thanks thank wow awesome
    sounds like
    """.split()
)


def word_tokens(text):
    """All tokens of `text` in order, stopwords included (used to count length)."""
    tokens = []
    for run in _WORD.findall(text.lower()):
        for i, part in enumerate(_CJK_RUN.split(run)):
            if not part:
                continue
            if i % 2 == 0:  # not CJK: the split keeps CJK runs at odd positions
                tokens.append(part)
            elif len(part) == 1:
                tokens.append(part)
            else:
                tokens.extend(part[j : j + 2] for j in range(len(part) - 1))
    return tokens


def is_content(token):
    return token not in STOPWORDS and not (len(token) == 1 and token.isascii())


def content_words(text):
    """The distinct content words of `text`, in order of first occurrence."""
    return list(dict.fromkeys(t for t in word_tokens(text) if is_content(t)))


def count_words(text):
    """Length in words: every token counts, a CJK bigram as one word."""
    return len(word_tokens(text))
